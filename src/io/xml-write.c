/*
 * xml-write.c -- a pyhf workspace as HistFactory XML + one ROOT file (hfx json2xml).
 *
 * pyhf 0.7.6's writexml.py layout and names (FitConfig.xml, config/FitConfig_<channel>.xml,
 * HistFactorySchema.dtd, data/data.root; histograms hist<channel>_<sample>[_<modifier>][Low|High]),
 * with what pyhf loses in the round trip kept (its pitfalls, pyhf #760, #1814):
 * - parameter inits: <ParamSetting Val="..."> for every scalar parameter whose init is set, fixed
 *   ones with Const="True" (pyhf writes Const only, so a fixed parameter's value is lost);
 * - LumiRelErr is sigma / lumi (pyhf writes sigma, right only when lumi is 1);
 * - channels with a staterror get <StatErrorConfig RelErrorThreshold="0" ConstraintType="Gaussian">:
 *   pyhf's staterror, where ROOT's default (no StatErrorConfig) is Poisson with pruning;
 * - samples with a staterror also carry the absolute errors in their histogram's fSumw2, so that
 *   ROOT's default (no HistoName) sees the same uncertainties as the relative StatError histogram.
 * Numbers are written with 17 significant digits, so they read back bit for bit.
 * What XML cannot say is refused, not dropped: a measurement parameter with auxdata or sigmas other
 * than lumi's, or bounds on a parameter that is not a normfactor or lumi.
 */
#include "io/io.h"
#include "model/modifier-types.h"

#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The HistFactory DTD as ROOT ships it is not ours to copy; this one declares the elements and
 * attributes hfx writes and reads, so that validating parsers accept the files. */
static const char DTD[] =
    "<!ELEMENT Combination (Function*,Input+,Measurement*)>\n"
    "<!ATTLIST Combination OutputFilePrefix CDATA #IMPLIED Mode CDATA #IMPLIED>\n"
    "<!ELEMENT Input (#PCDATA)>\n"
    "<!ELEMENT Function EMPTY>\n"
    "<!ATTLIST Function Name CDATA #REQUIRED Expression CDATA #REQUIRED Dependents CDATA #REQUIRED>\n"
    "<!ELEMENT Measurement (POI,ParamSetting*,ConstraintTerm*)>\n"
    "<!ATTLIST Measurement Name CDATA #REQUIRED Lumi CDATA #REQUIRED LumiRelErr CDATA #REQUIRED\n"
    "  BinLow CDATA #IMPLIED BinHigh CDATA #IMPLIED Mode CDATA #IMPLIED ExportOnly CDATA #IMPLIED>\n"
    "<!ELEMENT POI (#PCDATA)>\n"
    "<!ELEMENT ParamSetting (#PCDATA)>\n"
    "<!ATTLIST ParamSetting Const CDATA #IMPLIED Val CDATA #IMPLIED>\n"
    "<!ELEMENT ConstraintTerm (#PCDATA)>\n"
    "<!ATTLIST ConstraintTerm Type CDATA #REQUIRED RelativeUncertainty CDATA #IMPLIED>\n"
    "<!ELEMENT Channel (Data*,StatErrorConfig*,Sample+)>\n"
    "<!ATTLIST Channel Name CDATA #REQUIRED InputFile CDATA #IMPLIED HistoPath CDATA #IMPLIED\n"
    "  HistoName CDATA #IMPLIED>\n"
    "<!ELEMENT Data EMPTY>\n"
    "<!ATTLIST Data InputFile CDATA #IMPLIED HistoPath CDATA #IMPLIED HistoName CDATA #IMPLIED\n"
    "  Name CDATA #IMPLIED>\n"
    "<!ELEMENT StatErrorConfig EMPTY>\n"
    "<!ATTLIST StatErrorConfig RelErrorThreshold CDATA #IMPLIED ConstraintType CDATA #IMPLIED>\n"
    "<!ELEMENT Sample (StatError?,HistoSys*,OverallSys*,ShapeSys*,NormFactor*,ShapeFactor*)*>\n"
    "<!ATTLIST Sample Name CDATA #REQUIRED InputFile CDATA #IMPLIED HistoName CDATA #IMPLIED\n"
    "  HistoPath CDATA #IMPLIED NormalizeByTheory CDATA #IMPLIED>\n"
    "<!ELEMENT StatError EMPTY>\n"
    "<!ATTLIST StatError Activate CDATA #REQUIRED InputFile CDATA #IMPLIED HistoName CDATA #IMPLIED\n"
    "  HistoPath CDATA #IMPLIED>\n"
    "<!ELEMENT HistoSys EMPTY>\n"
    "<!ATTLIST HistoSys Name CDATA #REQUIRED HistoFileLow CDATA #IMPLIED HistoPathLow CDATA #IMPLIED\n"
    "  HistoNameLow CDATA #IMPLIED HistoFileHigh CDATA #IMPLIED HistoPathHigh CDATA #IMPLIED\n"
    "  HistoNameHigh CDATA #IMPLIED>\n"
    "<!ELEMENT OverallSys EMPTY>\n"
    "<!ATTLIST OverallSys Name CDATA #REQUIRED High CDATA #REQUIRED Low CDATA #REQUIRED>\n"
    "<!ELEMENT ShapeSys EMPTY>\n"
    "<!ATTLIST ShapeSys Name CDATA #REQUIRED HistoName CDATA #REQUIRED HistoPath CDATA #IMPLIED\n"
    "  InputFile CDATA #IMPLIED ConstraintType CDATA #IMPLIED>\n"
    "<!ELEMENT NormFactor EMPTY>\n"
    "<!ATTLIST NormFactor Name CDATA #REQUIRED Val CDATA #REQUIRED High CDATA #REQUIRED\n"
    "  Low CDATA #REQUIRED Const CDATA #IMPLIED>\n"
    "<!ELEMENT ShapeFactor EMPTY>\n"
    "<!ATTLIST ShapeFactor Name CDATA #REQUIRED>\n";

#define DATA_FILE "data/data.root"

struct writer {
    const json_t *            ws;
    struct hfx__root_writer * root;
    struct hfx_error *        err;
};

static void set_num(xmlNode * n, const char * name, double x) {
    char s[40];
    for (int digits = 15; digits <= 17; digits++) { /* the shortest that reads back to x */
        snprintf(s, sizeof s, "%.*g", digits, x);
        if (strtod(s, NULL) == x) {
            break;
        }
    }
    xmlNewProp(n, (const xmlChar *) name, (const xmlChar *) s);
}

static void set_str(xmlNode * n, const char * name, const char * v) {
    xmlNewProp(n, (const xmlChar *) name, (const xmlChar *) v);
}

static char * hist_name(const char * channel, const char * sample, const char * modifier, const char * suffix) {
    size_t n = strlen(channel) + strlen(sample) + (modifier ? strlen(modifier) : 0) + strlen(suffix) + 8;
    char * s = hfx__malloc(n);
    if (s) {
        snprintf(s, n, "hist%s_%s%s%s%s", channel, sample, modifier ? "_" : "", modifier ? modifier : "", suffix);
    }
    return s;
}

/* Numbers of a JSON array into a new buffer (*n of them); NULL with *n = 0 for anything else. */
static double * numbers(const json_t * a, size_t * n) {
    *n = json_is_array(a) ? json_array_size(a) : 0;
    double * x = hfx__malloc((*n + 1) * sizeof *x);
    for (size_t i = 0; x && i < *n; i++) {
        x[i] = json_number_value(json_array_get(a, i));
    }
    return x;
}

static enum hfx_status hist(struct writer * w, const char * name, const double * v, const double * e, size_t n) {
    return hfx__root_writer_add_th1d(w->root, name, v, e, n, w->err);
}

/* Relative uncertainties a / nominal, 0 where the nominal is 0 (as pyhf writes them). */
static double * relative(const double * a, const double * nom, size_t n) {
    double * r = hfx__malloc((n + 1) * sizeof *r);
    for (size_t i = 0; r && i < n; i++) {
        r[i] = nom[i] != 0 ? a[i] / nom[i] : 0.0;
    }
    return r;
}

static const json_t * param_config(const json_t * ws, const char * name) {
    const json_t * params = json_object_get(json_object_get(json_array_get(json_object_get(ws, "measurements"), 0), "config"),
                                            "parameters");
    size_t         i;
    const json_t * p;
    json_array_foreach (params, i, p) {
        const char * n = json_string_value(json_object_get(p, "name"));
        if (n && strcmp(n, name) == 0) {
            return p;
        }
    }
    return NULL;
}

static enum hfx_status write_sample(struct writer * w, xmlNode * ch, const char * channel, const json_t * s) {
    const char * sname = json_string_value(json_object_get(s, "name"));
    size_t       n     = 0;
    double *     nom   = numbers(json_object_get(s, "data"), &n);
    double *     abs_stat = NULL;
    char *       hname = hist_name(channel, sname, NULL, "");
    xmlNode *    xs    = xmlNewChild(ch, NULL, (const xmlChar *) "Sample", NULL);
    set_str(xs, "Name", sname);
    set_str(xs, "HistoName", hname);
    set_str(xs, "InputFile", DATA_FILE);
    set_str(xs, "NormalizeByTheory", "False");
    enum hfx_status st = HFX_OK;
    size_t          i;
    const json_t *  m;
    json_array_foreach (json_object_get(s, "modifiers"), i, m) {
        const char *   mname = json_string_value(json_object_get(m, "name"));
        const char *   type  = json_string_value(json_object_get(m, "type"));
        const json_t * data  = json_object_get(m, "data");
        if (!mname || !type) {
            continue; /* validation of the workspace happens in hfx_model_create */
        }
        if (strcmp(type, "lumi") == 0) {
            xmlSetProp(xs, (const xmlChar *) "NormalizeByTheory", (const xmlChar *) "True");
        } else if (strcmp(type, "normsys") == 0) {
            xmlNode * x = xmlNewChild(xs, NULL, (const xmlChar *) "OverallSys", NULL);
            set_str(x, "Name", mname);
            set_num(x, "High", json_number_value(json_object_get(data, "hi")));
            set_num(x, "Low", json_number_value(json_object_get(data, "lo")));
        } else if (strcmp(type, "normfactor") == 0) {
            /* As pyhf: the first measurement's config gives Val, Low, High, else pyhf's defaults. */
            const struct hfx__modifier_rules * row = hfx__modifier_rules_of(HFX_MOD_NORMFACTOR);
            double                           val = row->init, lo = row->lo, hi = row->hi;
            const json_t * pc  = param_config(w->ws, mname);
            if (pc && json_object_get(pc, "inits")) {
                val = json_number_value(json_array_get(json_object_get(pc, "inits"), 0));
            }
            if (pc && json_object_get(pc, "bounds")) {
                const json_t * b = json_array_get(json_object_get(pc, "bounds"), 0);
                lo               = json_number_value(json_array_get(b, 0));
                hi               = json_number_value(json_array_get(b, 1));
            }
            xmlNode * x = xmlNewChild(xs, NULL, (const xmlChar *) "NormFactor", NULL);
            set_str(x, "Name", mname);
            set_num(x, "Val", val);
            set_num(x, "High", hi);
            set_num(x, "Low", lo);
        } else if (strcmp(type, "histosys") == 0) {
            size_t   nl = 0, nh = 0;
            double * lo = numbers(json_object_get(data, "lo_data"), &nl);
            double * hi = numbers(json_object_get(data, "hi_data"), &nh);
            char *   hl = hist_name(channel, sname, mname, "Low"), *hh = hist_name(channel, sname, mname, "High");
            xmlNode * x = xmlNewChild(xs, NULL, (const xmlChar *) "HistoSys", NULL);
            set_str(x, "Name", mname);
            set_str(x, "HistoNameLow", hl);
            set_str(x, "HistoNameHigh", hh);
            if ((st = hist(w, hl, lo, NULL, nl)) == HFX_OK) {
                st = hist(w, hh, hi, NULL, nh);
            }
            free(lo), free(hi), free(hl), free(hh);
        } else if (strcmp(type, "staterror") == 0 || strcmp(type, "shapesys") == 0) {
            bool      stat = type[1] == 't';
            size_t    k    = 0;
            double *  a    = numbers(data, &k);
            double *  rel  = relative(a, nom, k < n ? k : n);
            char *    h    = hist_name(channel, sname, mname, "");
            xmlNode * x    = xmlNewChild(xs, NULL, (const xmlChar *) (stat ? "StatError" : "ShapeSys"), NULL);
            if (stat) {
                set_str(x, "Activate", "True");
                free(abs_stat);
                abs_stat = k == n ? a : NULL;
                a        = k == n ? NULL : a;
            } else {
                set_str(x, "Name", mname);
                set_str(x, "ConstraintType", "Poisson");
            }
            set_str(x, "HistoName", h);
            st = hist(w, h, rel, NULL, k < n ? k : n);
            free(a), free(rel), free(h);
        } else if (strcmp(type, "shapefactor") == 0) {
            xmlNode * x = xmlNewChild(xs, NULL, (const xmlChar *) "ShapeFactor", NULL);
            set_str(x, "Name", mname);
        }
        if (st != HFX_OK) {
            break;
        }
    }
    if (st == HFX_OK) {
        st = hist(w, hname, nom, abs_stat, n);
    }
    free(nom), free(abs_stat), free(hname);
    return st;
}

static enum hfx_status save(xmlDoc * doc, const char * path, struct hfx_error * err) {
    int n = xmlSaveFormatFileEnc(path, doc, "UTF-8", 1);
    xmlFreeDoc(doc);
    return n < 0 ? hfx__error(err, HFX_ERR_IO, NULL, "cannot write %s", path) : HFX_OK;
}

static enum hfx_status write_channel(struct writer * w, const json_t * c, const char * path) {
    const char * name = json_string_value(json_object_get(c, "name"));
    xmlDoc *     doc  = xmlNewDoc((const xmlChar *) "1.0");
    xmlNode *    ch   = xmlNewNode(NULL, (const xmlChar *) "Channel");
    xmlDocSetRootElement(doc, ch);
    xmlCreateIntSubset(doc, (const xmlChar *) "Channel", NULL, (const xmlChar *) "../HistFactorySchema.dtd");
    set_str(ch, "Name", name);
    set_str(ch, "InputFile", DATA_FILE);
    enum hfx_status st = HFX_OK;
    size_t          i;
    const json_t *  o;
    json_array_foreach (json_object_get(w->ws, "observations"), i, o) {
        if (json_equal(json_object_get(o, "name"), json_object_get(c, "name"))) {
            char *    h = hist_name(name, "data", NULL, ""); /* pyhf's name: hist<channel>_data */
            size_t    n = 0;
            double *  v = numbers(json_object_get(o, "data"), &n);
            xmlNode * d = xmlNewChild(ch, NULL, (const xmlChar *) "Data", NULL);
            set_str(d, "HistoName", h);
            set_str(d, "InputFile", DATA_FILE);
            st = hist(w, h, v, NULL, n);
            free(h), free(v);
            break;
        }
    }
    /* ROOT's default StatErrorConfig is Poisson with bins under 5% relative error pruned; pyhf's
     * staterror is Gaussian on every bin: say so, or hist2workspace builds another model (pyhf #760). */
    const json_t * s, *m;
    bool           has_stat = false;
    json_array_foreach (json_object_get(c, "samples"), i, s) {
        size_t k;
        json_array_foreach (json_object_get(s, "modifiers"), k, m) {
            const char * type = json_string_value(json_object_get(m, "type"));
            has_stat          = has_stat || (type && strcmp(type, "staterror") == 0);
        }
    }
    if (has_stat) {
        xmlNode * sc = xmlNewChild(ch, NULL, (const xmlChar *) "StatErrorConfig", NULL);
        set_str(sc, "RelErrorThreshold", "0");
        set_str(sc, "ConstraintType", "Gaussian");
    }
    json_array_foreach (json_object_get(c, "samples"), i, s) {
        if (st == HFX_OK) {
            st = write_sample(w, ch, name, s);
        }
    }
    if (st != HFX_OK) {
        xmlFreeDoc(doc);
        return st;
    }
    return save(doc, path, w->err);
}

/* The type of each modifier name, for the alpha_/gamma_ prefixes of ParamSetting: {name: type}. */
static json_t * modifier_types(const json_t * ws) {
    json_t *       types = json_object();
    size_t         i, j, k;
    const json_t * c, *s, *m;
    json_array_foreach (json_object_get(ws, "channels"), i, c) {
        json_array_foreach (json_object_get(c, "samples"), j, s) {
            json_array_foreach (json_object_get(s, "modifiers"), k, m) {
                const char * n = json_string_value(json_object_get(m, "name"));
                if (n && !json_object_get(types, n)) {
                    json_object_set(types, n, json_object_get(m, "type"));
                }
            }
        }
    }
    return types;
}

static enum hfx_status write_measurement(struct writer * w, xmlNode * top, const json_t * meas, const json_t * types) {
    const json_t * config = json_object_get(meas, "config");
    double         lumi = 1, sigma = 0;
    xmlNode *      m = xmlNewChild(top, NULL, (const xmlChar *) "Measurement", NULL);
    xmlNewChild(m, NULL, (const xmlChar *) "POI", (const xmlChar *) json_string_value(json_object_get(config, "poi")));
    size_t         i;
    const json_t * p;
    json_array_foreach (json_object_get(config, "parameters"), i, p) {
        const char * name = json_string_value(json_object_get(p, "name"));
        if (!name) {
            continue;
        }
        const char * type  = strcmp(name, "lumi") == 0 ? "lumi" : json_string_value(json_object_get(types, name));
        bool         fixed = json_is_true(json_object_get(p, "fixed"));
        if (type && strcmp(type, "lumi") == 0) {
            lumi  = json_number_value(json_array_get(json_object_get(p, "auxdata"), 0));
            sigma = json_number_value(json_array_get(json_object_get(p, "sigmas"), 0));
            if (fixed) {
                xmlNode * ps = xmlNewChild(m, NULL, (const xmlChar *) "ParamSetting", (const xmlChar *) "Lumi");
                set_str(ps, "Const", "True");
            }
            continue;
        }
        if (!type) {
            continue; /* a parameter no modifier uses: pyhf's model ignores it too */
        }
        enum hfx_modifier_type t;
        bool per_bin = hfx__modifier_type_from_name(type, &t) && hfx__modifier_rules_of(t)->set != HFX_MOD_SET_SCALAR;
        const json_t * inits = json_object_get(p, "inits");
        if (json_object_get(p, "auxdata") || json_object_get(p, "sigmas") ||
            (json_object_get(p, "bounds") && strcmp(type, "normfactor") != 0) || (per_bin && (inits || fixed))) {
            return hfx__error(w->err, HFX_ERR_UNSUPPORTED, NULL,
                              "parameter '%s' (%s) has a configuration HistFactory XML cannot hold (auxdata, sigmas, "
                              "bounds, or per-bin inits/fixed)",
                              name, type);
        }
        if (strcmp(type, "normfactor") == 0 && !fixed) {
            continue; /* inits and bounds went into <NormFactor> */
        }
        if (!fixed && !inits) {
            continue;
        }
        char pname[600];
        snprintf(pname, sizeof pname, "%s%s", strcmp(type, "normsys") == 0 || strcmp(type, "histosys") == 0 ? "alpha_" : "",
                 name);
        xmlNode * ps = xmlNewChild(m, NULL, (const xmlChar *) "ParamSetting", NULL);
        xmlNodeAddContent(ps, (const xmlChar *) pname);
        if (fixed) {
            set_str(ps, "Const", "True");
        }
        if (inits) {
            set_num(ps, "Val", json_number_value(json_array_get(inits, 0)));
        }
    }
    /* Attributes after the children are known: Lumi and its relative error. */
    set_str(m, "Name", json_string_value(json_object_get(meas, "name")));
    set_num(m, "Lumi", lumi);
    set_num(m, "LumiRelErr", lumi != 0 ? sigma / lumi : 0.0);
    set_str(m, "ExportOnly", "True");
    return HFX_OK;
}

/* Why hfx (and pyhf) could not read name back from the files written, or NULL where it can: a '/' in
 * a histogram's name is a directory separator when the ROOT file is read, and in a channel's name it
 * would make its XML file's name a path; XML has no control characters (a tab or a newline in an
 * attribute reads back as a space); ParamSetting lists names separated by blanks and <POI>'s text is
 * trimmed. hist: the name goes into a histogram's name; listed: into ParamSetting or POI. */
static const char * unreadable(const char * name, bool hist, bool listed) {
    for (const unsigned char * c = (const unsigned char *) name; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return "XML cannot hold a control character (a tab or a newline reads back as a space)";
        }
        if (hist && *c == '/') {
            return "'/' separates directories in a ROOT file (and in the channel XML's file name)";
        }
        if (listed && *c == ' ') {
            return "<ParamSetting> and <POI> separate or trim names at blanks";
        }
    }
    return NULL;
}

static enum hfx_status refuse_name(struct hfx_error * err, const char * pointer, const char * what, const char * name,
                                   const char * why) {
    return hfx__error(err, HFX_ERR_UNSUPPORTED, pointer,
                      "%s '%s' cannot be written as HistFactory XML: %s, so it could not be read back", what, name, why);
}

/* Every name the files would hold, checked before anything is written. */
static enum hfx_status check_names(const json_t * ws, struct hfx_error * err) {
    char           ptr[160];
    const char *   why;
    size_t         i, j, k;
    const json_t * c, *s, *m;
    json_array_foreach (json_object_get(ws, "channels"), i, c) {
        const char * cname = json_string_value(json_object_get(c, "name"));
        if (cname && (why = unreadable(cname, true, false))) {
            snprintf(ptr, sizeof ptr, "/channels/%zu/name", i);
            return refuse_name(err, ptr, "channel name", cname, why);
        }
        json_array_foreach (json_object_get(c, "samples"), j, s) {
            const char * sname = json_string_value(json_object_get(s, "name"));
            if (sname && (why = unreadable(sname, true, false))) {
                snprintf(ptr, sizeof ptr, "/channels/%zu/samples/%zu/name", i, j);
                return refuse_name(err, ptr, "sample name", sname, why);
            }
            json_array_foreach (json_object_get(s, "modifiers"), k, m) {
                const char * mname = json_string_value(json_object_get(m, "name"));
                const char * type  = json_string_value(json_object_get(m, "type"));
                bool         hist  = type && (strcmp(type, "histosys") == 0 || strcmp(type, "staterror") == 0 ||
                                     strcmp(type, "shapesys") == 0);
                if (mname && (why = unreadable(mname, hist, false))) {
                    snprintf(ptr, sizeof ptr, "/channels/%zu/samples/%zu/modifiers/%zu/name", i, j, k);
                    return refuse_name(err, ptr, "modifier name", mname, why);
                }
            }
        }
    }
    const json_t * meas;
    json_array_foreach (json_object_get(ws, "measurements"), i, meas) {
        const json_t * config = json_object_get(meas, "config");
        const char *   mname  = json_string_value(json_object_get(meas, "name"));
        const char *   poi    = json_string_value(json_object_get(config, "poi"));
        if (mname && (why = unreadable(mname, false, false))) {
            snprintf(ptr, sizeof ptr, "/measurements/%zu/name", i);
            return refuse_name(err, ptr, "measurement name", mname, why);
        }
        if (poi && (why = unreadable(poi, false, true))) {
            snprintf(ptr, sizeof ptr, "/measurements/%zu/config/poi", i);
            return refuse_name(err, ptr, "POI", poi, why);
        }
        const json_t * p;
        json_array_foreach (json_object_get(config, "parameters"), j, p) {
            const char * pname = json_string_value(json_object_get(p, "name"));
            bool listed = json_object_get(p, "fixed") || json_object_get(p, "inits"); /* may need a ParamSetting */
            if (pname && (why = unreadable(pname, false, listed))) {
                snprintf(ptr, sizeof ptr, "/measurements/%zu/config/parameters/%zu/name", i, j);
                return refuse_name(err, ptr, "parameter name", pname, why);
            }
        }
    }
    return HFX_OK;
}

static enum hfx_status make_dir(const char * path, struct hfx_error * err) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        return hfx__error(err, HFX_ERR_IO, NULL, "cannot create directory %s: %s", path, strerror(errno));
    }
    return HFX_OK;
}

enum hfx_status hfx__xml_write_workspace(const json_t * ws, const char * dir, struct hfx_error * err) {
    char path[4096];
    enum hfx_status st = check_names(ws, err);
    if (st != HFX_OK) {
        return st; /* nothing written */
    }
    st = make_dir(dir, err);
    snprintf(path, sizeof path, "%s/config", dir);
    if (st == HFX_OK) {
        st = make_dir(path, err);
    }
    snprintf(path, sizeof path, "%s/data", dir);
    if (st == HFX_OK) {
        st = make_dir(path, err);
    }
    snprintf(path, sizeof path, "%s/HistFactorySchema.dtd", dir);
    FILE * f = st == HFX_OK ? fopen(path, "w") : NULL;
    if (st == HFX_OK && (!f || fputs(DTD, f) < 0 || fclose(f) != 0)) {
        return hfx__error(err, HFX_ERR_IO, NULL, "cannot write %s", path);
    }
    if (st != HFX_OK) {
        return st;
    }
    struct writer w = {ws, NULL, err};
    snprintf(path, sizeof path, "%s/%s", dir, DATA_FILE);
    if ((st = hfx__root_writer_open(path, &w.root, err)) != HFX_OK) {
        return st;
    }
    xmlDoc *  doc = xmlNewDoc((const xmlChar *) "1.0");
    xmlNode * top = xmlNewNode(NULL, (const xmlChar *) "Combination");
    xmlDocSetRootElement(doc, top);
    xmlCreateIntSubset(doc, (const xmlChar *) "Combination", NULL, (const xmlChar *) "HistFactorySchema.dtd");
    set_str(top, "OutputFilePrefix", "results/FitConfig");
    size_t         i;
    const json_t * c;
    json_array_foreach (json_object_get(ws, "channels"), i, c) {
        const char * name = json_string_value(json_object_get(c, "name"));
        if (!name || st != HFX_OK) {
            continue;
        }
        char rel[1200];
        snprintf(rel, sizeof rel, "config/FitConfig_%s.xml", name);
        xmlNewTextChild(top, NULL, (const xmlChar *) "Input", (const xmlChar *) rel);
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        st = write_channel(&w, c, path);
    }
    const json_t * meas;
    json_t *       types = modifier_types(ws);
    json_array_foreach (json_object_get(ws, "measurements"), i, meas) {
        if (st == HFX_OK) {
            st = write_measurement(&w, top, meas, types);
        }
    }
    json_decref(types);
    if (st != HFX_OK) {
        xmlFreeDoc(doc);
        hfx__root_writer_close(w.root, NULL);
        return st;
    }
    if ((st = hfx__root_writer_close(w.root, err)) != HFX_OK) {
        xmlFreeDoc(doc);
        return st;
    }
    snprintf(path, sizeof path, "%s/FitConfig.xml", dir);
    return save(doc, path, err);
}
