/*
 * xml-read.c -- a HistFactory driver XML (and its channel XMLs and ROOT files) as a pyhf workspace.
 *
 * pyhf 0.7.6's readxml.py is the semantics matched here, output included (same keys, same parameter
 * order), so that `hfx xml2json` and `pyhf xml2json` print the same workspace:
 * - NormalizeByTheory="True" gives the sample a lumi modifier; lumi's config comes from Lumi and
 *   LumiRelErr (bounds lumi +- 5 sigma).
 * - StatError: relative errors from HistoName when given (multiplied by the nominal), else the sample
 *   histogram's errors; the name is staterror_<channel>. Its ConstraintType is not read (pyhf's
 *   staterror is always Gaussian).
 * - ShapeSys: relative errors times the nominal; ConstraintType other than Poisson is not supported by
 *   pyhf either (it warns); hfx refuses it rather than build a different model silently.
 * - NormFactor Val/Low/High/Const give inits, bounds, fixed; ParamSetting (Const, Val) overrides them,
 *   alpha_/gamma_ prefixes stripped, "Lumi" meaning lumi.
 * - Histograms: InputFile and HistoPath of the sample, else of the channel; "name" is tried before
 *   "path/name" (pyhf's order).
 * The DTD is not loaded (as in pyhf, so no defaulted attributes) and no network access is made.
 */
#include "io/io.h"

#include <libxml/parser.h>
#include <math.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILES 256

struct open_file {
    char *             path;
    struct hfx__root * root;
};

struct reader {
    const char *     basedir;    /* NULL: the working directory, then driver_dir */
    const struct hfx_xml_mount * mounts; /* pyhf's --mount LOCAL:XML, tried in order before basedir */
    size_t           n_mounts;
    char *           driver_dir;
    struct open_file files[MAX_FILES];
    size_t           n_files;
    bool             no_root;     /* the fuzz harness: histograms are not read */
    const char *     doc_name;    /* the XML file being read, for messages */
};

static enum hfx_status xml_fail(struct reader * r, struct hfx_error * err, enum hfx_status code, const char * fmt,
                                const char * a, const char * b) {
    hfx__error(err, code, NULL, fmt, a ? a : "", b ? b : "");
    if (err && r->doc_name) {
        snprintf(err->source, sizeof err->source, "%s", r->doc_name);
    }
    return code;
}

static bool exists(const char * path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static char * join(const char * dir, const char * name) {
    if (name[0] == '/' || !dir || !dir[0]) {
        return hfx__strdup(name);
    }
    size_t n = strlen(dir) + strlen(name) + 2;
    char * p = hfx__malloc(n);
    if (p) {
        snprintf(p, n, "%s/%s", dir, name);
    }
    return p;
}

/* The length of path once "./" prefixes and trailing slashes are set aside (*start: where it begins),
 * so that mounts compare paths by components as pyhf's pathlib does. */
static size_t path_span(const char * path, const char ** start) {
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/' && path[1]) {
            path++;
        }
    }
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    *start = path;
    return n;
}

/* name through the first mount whose xml_path is name or one of its parent directories: local_path
 * joined with the rest; NULL when no mount matches (or out of memory: then the path is not found). */
static char * mounted(const struct reader * r, const char * name, bool * matched) {
    const char * p;
    size_t       np = path_span(name, &p);
    for (size_t i = 0; i < r->n_mounts; i++) {
        const char * x;
        size_t       nx = path_span(r->mounts[i].xml_path, &x);
        if (nx == 0 || np < nx || strncmp(p, x, nx) != 0 || (np > nx && p[nx] != '/' && x[nx - 1] != '/')) {
            continue;
        }
        *matched          = true;
        const char * rest = p + nx;
        while (*rest == '/') {
            rest++;
        }
        return rest[0] ? join(r->mounts[i].local_path, rest) : hfx__strdup(r->mounts[i].local_path);
    }
    return NULL;
}

static char * resolve_plain(struct reader * r, const char * name);

/* pyhf resolves every path against --basedir (default: the working directory), after its mounts;
 * without --basedir a path not found there is tried beside the driver XML, so that a written layout
 * loads from anywhere. */
static char * resolve(struct reader * r, const char * name) {
    bool   matched = false;
    char * local   = mounted(r, name, &matched);
    if (matched) {
        if (!local) {
            return NULL;
        }
        char * out = local[0] == '/' ? local : resolve_plain(r, local);
        if (out != local) {
            free(local);
        }
        return out;
    }
    return resolve_plain(r, name);
}

static char * resolve_plain(struct reader * r, const char * name) {
    if (r->basedir) {
        return join(r->basedir, name);
    }
    if (name[0] == '/' || exists(name)) {
        return hfx__strdup(name);
    }
    char * beside = join(r->driver_dir, name);
    if (beside && exists(beside)) {
        return beside;
    }
    free(beside);
    return hfx__strdup(name);
}

static char * attr(xmlNode * n, const char * name) {
    return (char *) xmlGetProp(n, (const xmlChar *) name);
}

/* An attribute, or fallback (duplicated) when absent; NULL only when both are. */
static char * attr_or(xmlNode * n, const char * name, const char * fallback) {
    char * v = attr(n, name);
    if (v) {
        char * d = hfx__strdup(v);
        xmlFree(v);
        return d;
    }
    return fallback ? hfx__strdup(fallback) : NULL;
}

static bool parse_double(const char * s, double * out) {
    char * end;
    if (!s) {
        return false;
    }
    *out = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') {
        end++;
    }
    /* strtod reads "nan" and "inf" (and 1e999 as inf): not numbers a model can use, refused here */
    return end != s && *end == '\0' && isfinite(*out);
}

static enum hfx_status attr_double(struct reader * r, xmlNode * n, const char * name, double * out,
                                   struct hfx_error * err) {
    char * v  = attr(n, name);
    bool   ok = parse_double(v, out);
    char   what[300];
    snprintf(what, sizeof what, "%s of <%s> (line %d)", name, (const char *) n->name, n->line);
    if (!v) {
        return xml_fail(r, err, HFX_ERR_SCHEMA, "missing attribute %s%s", what, NULL);
    }
    enum hfx_status st =
        ok ? HFX_OK : xml_fail(r, err, HFX_ERR_SCHEMA, "attribute %s is not a finite number: '%s'", what, v);
    xmlFree(v);
    return st;
}

static enum hfx_status get_file(struct reader * r, const char * file, struct hfx__root ** out, struct hfx_error * err) {
    char * path = resolve(r, file);
    if (!path) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    for (size_t i = 0; i < r->n_files; i++) {
        if (strcmp(r->files[i].path, path) == 0) {
            free(path);
            *out = r->files[i].root;
            return HFX_OK;
        }
    }
    if (r->n_files == MAX_FILES) {
        free(path);
        return xml_fail(r, err, HFX_ERR_UNSUPPORTED, "more than 256 ROOT files%s%s", NULL, NULL);
    }
    enum hfx_status st = hfx__root_open(path, out, err);
    if (st != HFX_OK) {
        free(path);
        return st;
    }
    r->files[r->n_files].path = path;
    r->files[r->n_files].root = *out;
    r->n_files++;
    return HFX_OK;
}

/* A JSON array of x[0..n), or NULL (and *bad_bin the first bin that is not finite, or n where memory
 * ran out): json_real returns NULL for NaN and infinities, and an unchecked append of that NULL was a
 * bin silently lost (a 3-bin histogram with a NaN became a 2-bin model). Histograms are refused at
 * reading (rootfile-read.c); what reaches here non-finite was computed, a relative error times the
 * nominal that overflowed. */
static json_t * array_of(const double * x, size_t n, size_t * bad_bin) {
    json_t * a = json_array();
    *bad_bin   = n;
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_real(x[i])) != 0) {
            *bad_bin = isfinite(x[i]) ? n : i;
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Appends {name, type, data} to mods; data is consumed (NULL: a null "data", as pyhf's normfactor). */
static enum hfx_status add_modifier(struct reader * r, json_t * mods, const char * name, const char * type, json_t * data,
                                    struct hfx_error * err);

/* Appends to mods a modifier whose data are x[0..n) (what: which numbers, for the message). */
static enum hfx_status add_array_modifier(struct reader * r, json_t * mods, const char * name, const char * type,
                                          const double * x, size_t n, const char * channel, struct hfx_error * err) {
    size_t   bad_bin;
    json_t * data = array_of(x, n, &bad_bin);
    if (!data && bad_bin < n) {
        char bin[32];
        snprintf(bin, sizeof bin, "%zu", bad_bin);
        char where[400];
        snprintf(where, sizeof where, "%s '%s' of channel '%s'", type, name, channel);
        return xml_fail(r, err, HFX_ERR_SCHEMA, "%s is not finite in bin %s (relative error x nominal)", where, bin);
    }
    if (!data) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a modifier");
    }
    return add_modifier(r, mods, name, type, data, err);
}

/* The histogram name (or path/name) in file, as pyhf's import_root_histogram finds it. */
static enum hfx_status histogram(struct reader * r, const char * file, const char * path, const char * name,
                                 double ** v, double ** e, size_t * n, struct hfx_error * err) {
    *v = *e = NULL;
    *n      = 0;
    if (r->no_root) {
        return HFX_OK;
    }
    if (!file || !file[0]) {
        return xml_fail(r, err, HFX_ERR_SCHEMA, "histogram '%s' has no InputFile%s", name, NULL);
    }
    struct hfx__root * f  = NULL;
    enum hfx_status    st = get_file(r, file, &f, err);
    if (st != HFX_OK) {
        return st;
    }
    while (path && *path == '/') {
        path++;
    }
    size_t len  = strlen(name) + (path ? strlen(path) : 0) + 2;
    char * full = hfx__malloc(len);
    if (!full) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    snprintf(full, len, "%s/%s", path ? path : "", name);
    size_t plen = path ? strlen(path) : 0;
    while (plen > 0 && full[plen - 1] == '/') { /* pyhf strips the path's slashes */
        memmove(full + plen - 1, full + plen, strlen(full + plen) + 1);
        plen--;
    }
    const char * which = hfx__root_has(f, name) ? name : full;
    if (which == full && !hfx__root_has(f, full)) {
        char both[700];
        snprintf(both, sizeof both, "%s' nor '%s", name, full);
        free(full);
        return xml_fail(r, err, HFX_ERR_NOT_FOUND, "neither '%s' was found in %s", both, file);
    }
    st = hfx__root_read_hist(f, which, v, e, n, err);
    free(full);
    return st;
}

static enum hfx_status add_modifier(struct reader * r, json_t * mods, const char * name, const char * type, json_t * data,
                                    struct hfx_error * err) {
    (void) r;
    json_t * m = json_pack("{s:s, s:s, s:o}", "name", name, "type", type, "data", data ? data : json_null());
    if (json_array_append_new(mods, m) != 0) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a modifier");
    }
    return HFX_OK;
}

struct sample_ctx {
    const char * input_file;
    const char * histo_path;
    const char * channel;
    json_t *     param_configs; /* array, appended to */
};

static enum hfx_status read_modifier(struct reader * r, xmlNode * m, const struct sample_ctx * sc, const double * nom,
                                     const double * nom_err, size_t n, json_t * mods, struct hfx_error * err) {
    const char *    tag  = (const char *) m->name;
    char *          name = attr(m, "Name");
    enum hfx_status st   = HFX_OK;
    if (strcmp(tag, "StatError") != 0 && !name) {
        char line[32];
        snprintf(line, sizeof line, "%d", m->line);
        return xml_fail(r, err, HFX_ERR_SCHEMA, "<%s> without Name (line %s)", tag, line);
    }
    if (strcmp(tag, "OverallSys") == 0) {
        double lo = 0, hi = 0;
        if ((st = attr_double(r, m, "Low", &lo, err)) == HFX_OK && (st = attr_double(r, m, "High", &hi, err)) == HFX_OK) {
            json_t * d = json_pack("{s:f, s:f}", "lo", lo, "hi", hi); /* finite (attr_double): NULL is memory */
            st = d ? add_modifier(r, mods, name, "normsys", d, err)
                   : hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a modifier");
        }
    } else if (strcmp(tag, "NormFactor") == 0) {
        double val = 0, lo = 0, hi = 0;
        if ((st = attr_double(r, m, "Low", &lo, err)) == HFX_OK && (st = attr_double(r, m, "High", &hi, err)) == HFX_OK &&
            (st = attr_double(r, m, "Val", &val, err)) == HFX_OK) {
            st          = add_modifier(r, mods, name, "normfactor", NULL, err);
            json_t * pc = json_pack("{s:s, s:[[f,f]], s:[f]}", "name", name, "bounds", lo, hi, "inits", val);
            char *   c  = attr(m, "Const");
            if (pc && c && c[0]) {
                json_object_set_new(pc, "fixed", json_boolean(strcmp(c, "True") == 0));
            }
            xmlFree(c);
            if (st == HFX_OK && json_array_append_new(sc->param_configs, pc) != 0) { /* finite (attr_double) */
                st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a parameter config");
            }
        }
    } else if (strcmp(tag, "HistoSys") == 0) {
        char *   flo = attr_or(m, "HistoFileLow", sc->input_file), *fhi = attr_or(m, "HistoFileHigh", sc->input_file);
        char *   plo = attr_or(m, "HistoPathLow", ""), *phi = attr_or(m, "HistoPathHigh", "");
        char *   nlo = attr(m, "HistoNameLow"), *nhi = attr(m, "HistoNameHigh");
        double * lo = NULL, *hi = NULL, *e1 = NULL, *e2 = NULL;
        size_t   n1 = 0, n2 = 0;
        if (!nlo || !nhi) {
            st = xml_fail(r, err, HFX_ERR_SCHEMA, "<HistoSys Name=\"%s\"> needs HistoNameLow and HistoNameHigh%s", name, NULL);
        } else if ((st = histogram(r, flo, plo, nlo, &lo, &e1, &n1, err)) == HFX_OK &&
                   (st = histogram(r, fhi, phi, nhi, &hi, &e2, &n2, err)) == HFX_OK) {
            size_t   b1, b2;
            json_t * jlo = array_of(lo, n1, &b1), *jhi = array_of(hi, n2, &b2); /* finite: read from ROOT */
            json_t * d   = jlo && jhi ? json_pack("{s:o, s:o}", "lo_data", jlo, "hi_data", jhi) : NULL;
            if (!d) {
                if (!jlo || !jhi) { /* json_pack was not called; where it was, it took both, failing or not */
                    json_decref(jlo), json_decref(jhi);
                }
                st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a modifier");
            } else {
                st = add_modifier(r, mods, name, "histosys", d, err);
            }
        }
        free(flo), free(fhi), free(plo), free(phi), xmlFree(nlo), xmlFree(nhi);
        free(lo), free(hi), free(e1), free(e2);
    } else if (strcmp(tag, "StatError") == 0) {
        char * act = attr(m, "Activate");
        if (act && strcmp(act, "True") == 0) {
            char * hname = attr(m, "HistoName");
            size_t len   = strlen(sc->channel) + 16;
            char * sname = hfx__malloc(len);
            snprintf(sname, len, "staterror_%s", sc->channel);
            if (!sname) {
                st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
            } else if (!hname || !hname[0]) {
                st = add_array_modifier(r, mods, sname, "staterror", nom_err, n, sc->channel, err);
            } else {
                char *   file = attr_or(m, "HistoFile", sc->input_file), *path = attr_or(m, "HistoPath", "");
                double * rel = NULL, *e = NULL;
                size_t   k   = 0;
                if ((st = histogram(r, file, path, hname, &rel, &e, &k, err)) == HFX_OK) {
                    for (size_t i = 0; i < k && i < n; i++) {
                        rel[i] *= nom[i];
                    }
                    st = add_array_modifier(r, mods, sname, "staterror", rel, k < n ? k : n, sc->channel, err);
                }
                free(file), free(path), free(rel), free(e);
            }
            free(sname);
            xmlFree(hname);
        }
        xmlFree(act);
    } else if (strcmp(tag, "ShapeSys") == 0) {
        char * ct = attr(m, "ConstraintType");
        if (ct && strcmp(ct, "Poisson") != 0) {
            st = xml_fail(r, err, HFX_ERR_UNSUPPORTED,
                          "ShapeSys '%s' has ConstraintType \"%s\": pyhf's shapesys is Poisson only", name, ct);
        } else {
            char *   hname = attr(m, "HistoName");
            char *   file = attr_or(m, "InputFile", sc->input_file), *path = attr_or(m, "HistoPath", "");
            double * rel = NULL, *e = NULL;
            size_t   k   = 0;
            if (!hname) {
                st = xml_fail(r, err, HFX_ERR_SCHEMA, "<ShapeSys Name=\"%s\"> needs HistoName%s", name, NULL);
            } else if ((st = histogram(r, file, path, hname, &rel, &e, &k, err)) == HFX_OK) {
                for (size_t i = 0; i < k && i < n; i++) {
                    rel[i] *= nom[i];
                }
                st = add_array_modifier(r, mods, name, "shapesys", rel, k < n ? k : n, sc->channel, err);
            }
            xmlFree(hname), free(file), free(path), free(rel), free(e);
        }
        xmlFree(ct);
    } else if (strcmp(tag, "ShapeFactor") == 0) {
        st = add_modifier(r, mods, name, "shapefactor", NULL, err);
    } /* other tags: pyhf ignores them with a warning */
    xmlFree(name);
    return st;
}

static enum hfx_status read_sample(struct reader * r, xmlNode * s, const struct sample_ctx * ch, json_t * samples,
                                   struct hfx_error * err) {
    char *            file  = attr_or(s, "InputFile", ch->input_file);
    char *            path  = attr_or(s, "HistoPath", ch->histo_path);
    char *            hname = attr(s, "HistoName");
    char *            name  = attr(s, "Name");
    double *          v = NULL, *e = NULL;
    size_t            n  = 0;
    enum hfx_status   st = HFX_OK;
    struct sample_ctx sc = {file, path, ch->channel, ch->param_configs};
    if (!hname || !name) {
        char line[32];
        snprintf(line, sizeof line, "%d", s->line);
        st = xml_fail(r, err, HFX_ERR_SCHEMA, "<Sample> needs Name and HistoName (line %s)%s", line, NULL);
    } else if ((st = histogram(r, file, path, hname, &v, &e, &n, err)) == HFX_OK) {
        json_t * mods = json_array();
        char *   nbt  = attr(s, "NormalizeByTheory");
        if (nbt && strcmp(nbt, "True") == 0) {
            st = add_modifier(r, mods, "lumi", "lumi", NULL, err);
        }
        xmlFree(nbt);
        for (xmlNode * m = s->children; m && st == HFX_OK; m = m->next) {
            if (m->type == XML_ELEMENT_NODE) {
                st = read_modifier(r, m, &sc, v, e, n, mods, err);
            }
        }
        size_t   bad_bin;
        json_t * data = array_of(v, n, &bad_bin); /* finite: read from ROOT */
        json_t * smp  = data ? json_pack("{s:s, s:o, s:o}", "name", name, "data", data, "modifiers", mods) : NULL;
        if (!data) {
            json_decref(mods); /* not passed to json_pack, which takes its "o" arguments even when it fails */
        }
        if (json_array_append_new(samples, smp) != 0 && st == HFX_OK) {
            st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a sample");
        }
    }
    free(file), free(path), xmlFree(hname), xmlFree(name), free(v), free(e);
    return st;
}

static void hush(void * ctx, const char * fmt, ...) {
    (void) ctx;
    (void) fmt;
}

static xmlDoc * parse_xml(struct reader * r, const char * path, const char * buf, size_t len, struct hfx_error * err) {
    if (!buf && !exists(path)) {
        xml_fail(r, err, HFX_ERR_IO, "no such XML file%s%s", "",
                 r->basedir ? " (paths are resolved against --basedir)"
                            : " (paths are tried from the working directory, then beside the driver XML)");
        if (err) {
            snprintf(err->source, sizeof err->source, "%s", path);
        }
        return NULL;
    }
    /* libxml2 reports some errors (encodings) through its generic handler, which prints; hush it for
     * this parse and restore the caller's (the handler is per thread in libxml2). */
    xmlGenericErrorFunc saved_fn  = xmlGenericError;
    void *              saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, hush);
    xmlDoc * doc = buf ? xmlReadMemory(buf, (int) len, "mem.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                          XML_PARSE_NOWARNING)
                       : xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlSetGenericErrorFunc(saved_ctx, saved_fn);
    if (!doc) {
        const xmlError * e = xmlGetLastError();
        char             line[64];
        snprintf(line, sizeof line, "%d", e ? e->line : 0);
        char msg[600];
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "cannot read the file");
        msg[strcspn(msg, "\n")] = '\0';
        xml_fail(r, err, HFX_ERR_IO, "malformed XML at line %s: %s", line, msg);
    }
    return doc;
}

static enum hfx_status read_channel(struct reader * r, xmlNode * ch, json_t * channels, json_t * observations,
                                    json_t * param_configs, struct hfx_error * err) {
    if (strcmp((const char *) ch->name, "Channel") != 0) {
        return xml_fail(r, err, HFX_ERR_SCHEMA, "expected a <Channel> document, got <%s>%s", (const char *) ch->name, NULL);
    }
    char *            name = attr(ch, "Name");
    char *            file = attr_or(ch, "InputFile", "");
    char *            path = attr_or(ch, "HistoPath", "");
    struct sample_ctx cc   = {file, path, name, param_configs};
    enum hfx_status   st   = HFX_OK;
    xmlNode *         data = NULL;
    for (xmlNode * n = ch->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, "Data") == 0) {
            data = n;
            break;
        }
    }
    if (!name) {
        st = xml_fail(r, err, HFX_ERR_SCHEMA, "<Channel> without Name%s%s", NULL, NULL);
    } else if (!data) {
        st = xml_fail(r, err, HFX_ERR_SCHEMA, "channel '%s' has no <Data>%s", name, NULL);
    } else {
        char *   dfile = attr_or(data, "InputFile", file), *dpath = attr_or(data, "HistoPath", path);
        char *   dname = attr(data, "HistoName");
        double * v = NULL, *e = NULL;
        size_t   n = 0;
        if (!dname || !dname[0] || !dfile[0]) {
            st = xml_fail(r, err, HFX_ERR_UNSUPPORTED, "channel '%s': <Data> without InputFile or HistoName%s", name,
                          NULL);
        } else if ((st = histogram(r, dfile, dpath, dname, &v, &e, &n, err)) == HFX_OK) {
            size_t   bad_bin;
            json_t * obs = array_of(v, n, &bad_bin); /* finite: read from ROOT */
            if (json_array_append_new(observations, obs ? json_pack("{s:s, s:o}", "name", name, "data", obs) : NULL) !=
                0) {
                st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building an observation");
            }
        }
        free(dfile), free(dpath), xmlFree(dname), free(v), free(e);
    }
    json_t * samples = json_array();
    for (xmlNode * s = ch->children; s && st == HFX_OK; s = s->next) {
        if (s->type == XML_ELEMENT_NODE && strcmp((const char *) s->name, "Sample") == 0) {
            st = read_sample(r, s, &cc, samples, err);
        }
    }
    if (st == HFX_OK) {
        json_array_append_new(channels, json_pack("{s:s, s:o}", "name", name, "samples", samples));
    } else {
        json_decref(samples);
    }
    xmlFree(name), free(file), free(path);
    return st;
}

/* pyhf's dedupe_parameters: one config per name; differing duplicates are an error. */
static enum hfx_status dedupe(struct reader * r, json_t * configs, json_t * map, struct hfx_error * err) {
    size_t   i;
    json_t * pc;
    json_array_foreach (configs, i, pc) {
        const char * name = json_string_value(json_object_get(pc, "name"));
        json_t *     seen = json_object_get(map, name);
        if (seen && !json_equal(seen, pc)) {
            return xml_fail(r, err, HFX_ERR_MODEL, "incompatible parameter configurations for '%s'%s", name, NULL);
        }
        if (!seen) {
            json_object_set(map, name, pc);
        }
    }
    return HFX_OK;
}

static json_t * measurement(struct reader * r, xmlNode * m, json_t * configs, struct hfx_error * err,
                            enum hfx_status * st) {
    double lumi = 0, rel = 0;
    char * name = attr(m, "Name");
    if (!name) {
        *st = xml_fail(r, err, HFX_ERR_SCHEMA, "<Measurement> without Name%s%s", NULL, NULL);
        return NULL;
    }
    if ((*st = attr_double(r, m, "Lumi", &lumi, err)) != HFX_OK ||
        (*st = attr_double(r, m, "LumiRelErr", &rel, err)) != HFX_OK) {
        xmlFree(name);
        return NULL;
    }
    double    sigma = lumi * rel;
    xmlNode * poi   = NULL;
    if (!isfinite(lumi - 5.0 * sigma) || !isfinite(lumi + 5.0 * sigma)) { /* 1e300 x 1e300 */
        *st = xml_fail(r, err, HFX_ERR_SCHEMA, "measurement '%s': the lumi bounds, Lumi +- 5 Lumi x LumiRelErr, are not "
                       "finite%s", name, NULL);
        xmlFree(name);
        return NULL;
    }
    for (xmlNode * n = m->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, "POI") == 0) {
            poi = n;
            break;
        }
    }
    if (!poi) {
        *st = xml_fail(r, err, HFX_ERR_SCHEMA, "measurement '%s' has no <POI>%s", name, NULL);
        xmlFree(name);
        return NULL;
    }
    xmlChar * poi_text = xmlNodeGetContent(poi);
    char *    p        = (char *) poi_text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
        p++;
    }
    size_t pl = strlen(p);
    while (pl > 0 && strchr(" \n\t\r", p[pl - 1])) {
        p[--pl] = '\0';
    }
    json_t * lumi_pc = json_pack("{s:s, s:[f], s:[[f,f]], s:[f], s:[f]}", "name", "lumi", "auxdata", lumi, "bounds",
                                 lumi - 5.0 * sigma, lumi + 5.0 * sigma, "inits", lumi, "sigmas", sigma);
    if (!lumi_pc) { /* every number finite (checked above): memory */
        *st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building the lumi parameter");
        xmlFree(poi_text);
        xmlFree(name);
        return NULL;
    }
    /* The map keeps pyhf's dict order: jansson objects iterate in insertion order (jansson >= 2.8). */
    json_t * map = json_deep_copy(configs);
    for (xmlNode * ps = m->children; ps && *st == HFX_OK; ps = ps->next) {
        if (ps->type != XML_ELEMENT_NODE || strcmp((const char *) ps->name, "ParamSetting") != 0) {
            continue;
        }
        json_t * common = json_object();
        char *   c      = attr(ps, "Const");
        char *   val    = attr(ps, "Val");
        double   x;
        if (c && c[0]) {
            json_object_set_new(common, "fixed", json_boolean(strcmp(c, "True") == 0));
        }
        if (val && val[0]) {
            if (!parse_double(val, &x)) {
                *st = xml_fail(r, err, HFX_ERR_SCHEMA, "ParamSetting Val is not a finite number: '%s'%s", val, NULL);
            } else if (json_object_set_new(common, "inits", json_pack("[f]", x)) != 0) {
                *st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building a parameter config");
            }
        }
        xmlFree(c), xmlFree(val);
        xmlChar * text = xmlNodeGetContent(ps);
        char *    save = NULL;
        for (char * tok = strtok_r((char *) text, " \t\n\r", &save); tok && *st == HFX_OK;
             tok        = strtok_r(NULL, " \t\n\r", &save)) {
            const char * pname = tok;
            if (strncmp(tok, "gamma_", 6) == 0) {
                *st = xml_fail(r, err, HFX_ERR_UNSUPPORTED,
                               "ParamSetting '%s': pyhf does not support setting non-scalar parameters (gammas)%s", tok,
                               NULL);
                break;
            }
            if (strncmp(tok, "alpha_", 6) == 0 && tok[6]) {
                pname = tok + 6;
            } else if (strcmp(tok, "Lumi") == 0) {
                pname = "lumi";
            }
            if (strcmp(pname, "lumi") == 0) {
                json_object_update(lumi_pc, common);
                continue;
            }
            json_t * pc = json_object_get(map, pname);
            pc          = pc ? json_incref(pc) : json_pack("{s:s}", "name", pname);
            json_object_del(map, pname); /* re-added at the end, as pyhf's pop and re-insert */
            json_object_update(pc, common);
            json_object_set_new(map, pname, pc);
        }
        xmlFree(text);
        json_decref(common);
    }
    json_t * params = json_array();
    json_array_append_new(params, lumi_pc);
    const char * k;
    json_t *     v;
    json_object_foreach (map, k, v) {
        json_array_append(params, v);
    }
    json_decref(map);
    json_t * out = json_pack("{s:s, s:{s:s, s:o}}", "name", name, "config", "poi", p, "parameters", params);
    xmlFree(poi_text);
    xmlFree(name);
    if (*st != HFX_OK) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void reader_free(struct reader * r) {
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].path);
        hfx__root_close(r->files[i].root);
    }
    free(r->driver_dir);
}

static enum hfx_status read_driver(struct reader * r, xmlDoc * doc, json_t ** out, struct hfx_error * err) {
    xmlNode * top = xmlDocGetRootElement(doc);
    if (!top || strcmp((const char *) top->name, "Combination") != 0) {
        return xml_fail(r, err, HFX_ERR_SCHEMA, "expected a <Combination> driver XML, got <%s>%s",
                        top ? (const char *) top->name : "nothing", NULL);
    }
    json_t *        channels = json_array(), *observations = json_array(), *configs = json_array();
    json_t *        map = json_object(), *measurements = json_array();
    json_t *        seen = json_object(); /* channel name -> the channel XML that defined it */
    enum hfx_status st  = HFX_OK;
    const char *    driver_name = r->doc_name;
    for (xmlNode * in = top->children; in && st == HFX_OK; in = in->next) {
        if (in->type != XML_ELEMENT_NODE || strcmp((const char *) in->name, "Input") != 0) {
            continue;
        }
        xmlChar * text = xmlNodeGetContent(in);
        char *    t    = (char *) text;
        while (*t && strchr(" \t\n\r", *t)) {
            t++;
        }
        size_t tl = strlen(t);
        while (tl > 0 && strchr(" \t\n\r", t[tl - 1])) {
            t[--tl] = '\0';
        }
        if (!*t) {
            char line[32];
            snprintf(line, sizeof line, "%d", in->line);
            st = xml_fail(r, err, HFX_ERR_SCHEMA, "<Input> at line %s names no channel XML (it is empty)%s", line, NULL);
        } else {
            char * path  = resolve(r, t);
            r->doc_name  = path;
            xmlDoc * chd = parse_xml(r, path, NULL, 0, err);
            if (!chd) {
                st = HFX_ERR_IO;
            } else {
                size_t before = json_array_size(channels);
                st = read_channel(r, xmlDocGetRootElement(chd), channels, observations, configs, err);
                xmlFreeDoc(chd);
                /* pyhf's schema refuses two channels of one name; the second would be read silently */
                const char * cname = json_string_value(json_object_get(json_array_get(channels, before), "name"));
                json_t *     first = cname ? json_object_get(seen, cname) : NULL;
                if (st == HFX_OK && first) {
                    r->doc_name = driver_name; /* the driver lists the channels */
                    char both[1200];
                    snprintf(both, sizeof both, "%s' is read twice (from %s and from %s", cname,
                             json_string_value(first), path);
                    st = xml_fail(r, err, HFX_ERR_SCHEMA, "channel '%s): a workspace has one channel of each name%s",
                                  both, NULL);
                } else if (st == HFX_OK && cname && json_object_set_new(seen, cname, json_string(path)) != 0) {
                    st = hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
                }
            }
            if (st != HFX_OK && err && !err->source[0]) {
                snprintf(err->source, sizeof err->source, "%s", path);
            }
            r->doc_name = driver_name;
            free(path);
        }
        xmlFree(text);
    }
    json_decref(seen);
    if (st == HFX_OK && json_array_size(channels) == 0 && !r->no_root) {
        st = xml_fail(r, err, HFX_ERR_SCHEMA, "the driver XML has no <Input>: a workspace needs at least one channel%s%s",
                      NULL, NULL);
    }
    if (st == HFX_OK) {
        st = dedupe(r, configs, map, err);
    }
    for (xmlNode * m = top->children; m && st == HFX_OK; m = m->next) {
        if (m->type == XML_ELEMENT_NODE && strcmp((const char *) m->name, "Measurement") == 0) {
            json_t * meas = measurement(r, m, map, err, &st);
            if (meas) {
                json_array_append_new(measurements, meas);
            }
        }
    }
    json_decref(configs);
    json_decref(map);
    if (st != HFX_OK) {
        json_decref(channels), json_decref(observations), json_decref(measurements);
        return st;
    }
    *out = json_pack("{s:o, s:o, s:o, s:s}", "measurements", measurements, "channels", channels, "observations",
                     observations, "version", "1.0.0");
    return *out ? HFX_OK : hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory building the workspace");
}

enum hfx_status hfx__xml_read_workspace(const char * driver, const char * basedir, const struct hfx_xml_mount * mounts,
                                        size_t n_mounts, json_t ** out, struct hfx_error * err) {
    *out            = NULL;
    struct reader r = {0};
    r.basedir       = basedir;
    r.mounts        = mounts;
    r.n_mounts      = n_mounts;
    r.doc_name      = driver;
    r.driver_dir    = hfx__strdup(driver);
    if (!r.driver_dir) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    char * slash = strrchr(r.driver_dir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        r.driver_dir[0] = '\0';
    }
    xmlDoc * doc = parse_xml(&r, driver, NULL, 0, err);
    if (!doc) {
        reader_free(&r);
        return HFX_ERR_IO;
    }
    enum hfx_status st = read_driver(&r, doc, out, err);
    xmlFreeDoc(doc);
    reader_free(&r);
    return st;
}

enum hfx_status hfx__xml_check_memory(const char * buf, size_t len, struct hfx_error * err) {
    struct reader r = {0};
    r.no_root       = true;
    r.doc_name      = "<memory>";
    if (len > 1 << 20) {
        return xml_fail(&r, err, HFX_ERR_ARG, "XML input over 1 MiB%s%s", NULL, NULL);
    }
    xmlDoc * doc = parse_xml(&r, NULL, buf, len, err);
    if (!doc) {
        return HFX_ERR_IO;
    }
    xmlNode *       top = xmlDocGetRootElement(doc);
    enum hfx_status st  = HFX_OK;
    json_t *        ws  = NULL;
    if (top && strcmp((const char *) top->name, "Channel") == 0) {
        json_t *ch = json_array(), *obs = json_array(), *pc = json_array();
        st = read_channel(&r, top, ch, obs, pc, err);
        json_decref(ch), json_decref(obs), json_decref(pc);
    } else {
        /* Input files are not followed from memory: only the measurements are read. */
        xmlNode * next = NULL;
        for (xmlNode * n = top ? top->children : NULL; n; n = next) {
            next = n->next;
            if (n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, "Input") == 0) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
        }
        st = read_driver(&r, doc, &ws, err);
        json_decref(ws);
    }
    xmlFreeDoc(doc);
    reader_free(&r);
    return st;
}
