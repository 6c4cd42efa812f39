/*
 * cmd-spec.c -- pyhf's workspace commands: "hfx combine", "digest", "prune", "rename" and "sort",
 * with pyhf 0.7.6's options and semantics (pyhf/cli/spec.py over pyhf.Workspace's combine,
 * _prune_and_rename, sorted; pyhf.utils.digest), so that their outputs are byte for byte pyhf's.
 *
 * Each command reads and validates its workspaces as pyhf's Workspace(spec) does, builds a new tree
 * (the trees hfx reads are shared copy-on-write, so the inputs are never changed in place),
 * validates the result as a workspace too, and prints it as json.dumps(indent=4, sort_keys=True).
 * The new trees hold exactly the keys pyhf's new specs hold (e.g. prune and rename keep only
 * "name", "data" and "modifiers" of a sample), so that the outputs stay equal where an input carries
 * more. Errors are one line each; pyhf's InvalidWorkspaceOperation texts are followed in substance.
 */
#include "digest.h"
#include "json-out.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SOPT_CHANNEL = 100,
    SOPT_SAMPLE,
    SOPT_MODIFIER,
    SOPT_MODIFIER_TYPE,
    SOPT_MEASUREMENT,
    SOPT_JOIN,
    SOPT_MERGE,
    SOPT_NO_MERGE,
    SOPT_ALGORITHM,
    SOPT_JSON,
    SOPT_PLAINTEXT,
};

static bool strlist_has(const struct cli_strings * l, const char * s) {
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], s) == 0) {
            return true;
        }
    }
    return false;
}

/* rename's pairs: old names in from[i], new ones in to[i]. */
struct renames {
    struct cli_strings from, to;
};

/* The new name of name under r (name itself when r does not rename it). */
static const char * renamed(const struct renames * r, const char * name) {
    for (size_t i = r->from.n; i-- > 0;) { /* the last pair wins, as dict(pairs) */
        if (strcmp(r->from.v[i], name) == 0) {
            return r->to.v[i];
        }
    }
    return name;
}

static const char * name_of(const json_t * item) {
    const char * s = json_string_value(json_object_get(item, "name"));
    return s ? s : "";
}

//
// Reading and printing workspaces
//

/* Reads path ("-": standard input) and validates it as pyhf's Workspace(spec) does. */
static int load_valid(const char * path, hfx_workspace_t * out) {
    *out   = NULL;
    int rc = cli_load_workspace(path, out);
    if (rc == CLI_OK && (rc = cli_validate_background(*out)) != CLI_OK) {
        hfx_workspace_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Validates root (consumed) as a workspace made from like by command cmd, then prints it to output
 * (NULL: stdout). Its errors name it "<like's name> (after hfx <cmd>)": the result is at fault, made
 * from that input. */
static int emit_new(hfx_workspace_t like, const char * cmd, json_t * root, const char * output) {
    const char * src   = hfx_workspace_source(like);
    size_t       n     = strlen(src) + strlen(cmd) + 32;
    char *       named = malloc(n);
    if (!named) {
        json_decref(root);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    snprintf(named, n, "%s (after hfx %s)", src, cmd);
    hfx_workspace_t ws = NULL;
    int             rc = cli_workspace_from_tree(root, named, &ws);
    free(named);
    if (rc == CLI_OK) {
        struct hfx_error err = {0};
        enum hfx_status  st  = hfx_workspace_validate(ws, &err);
        if (st != HFX_OK) {
            cli_error_hfx(st, &err);
            rc = CLI_FAIL;
        } else {
            rc = jout_emit(root, output); /* the tree the library read: the same numbers */
        }
    }
    hfx_workspace_free(ws);
    json_decref(root);
    return rc;
}

//
// sort
//

/* A stable sort of an array's items by key (Python's list.sort is stable; strcmp on UTF-8 orders as
 * Python compares str, by code point). */
typedef int (*item_cmp)(const json_t * a, const json_t * b);

static void sort_array(json_t * arr, item_cmp cmp) {
    size_t n = json_array_size(arr);
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, and these lists are short */
        json_t * x = json_incref(json_array_get(arr, i));
        size_t   k = i;
        while (k > 0 && cmp(json_array_get(arr, k - 1), x) > 0) {
            json_array_set(arr, k, json_array_get(arr, k - 1));
            k--;
        }
        json_array_set_new(arr, k, x);
    }
}

static int by_name(const json_t * a, const json_t * b) { return strcmp(name_of(a), name_of(b)); }

static int by_name_type(const json_t * a, const json_t * b) {
    int c = by_name(a, b);
    const char * ta = json_string_value(json_object_get(a, "type")), * tb = json_string_value(json_object_get(b, "type"));
    return c ? c : strcmp(ta ? ta : "", tb ? tb : "");
}

/* pyhf's Workspace.sorted: channels, samples, modifiers (name, type), measurements, parameter
 * configs and observations, each by name. */
static json_t * sorted_spec(const json_t * spec) {
    json_t * s = json_deep_copy(spec);
    if (!s) {
        return NULL;
    }
    json_t * channels = json_object_get(s, "channels");
    sort_array(channels, by_name);
    size_t   i, k;
    json_t * c, * smp, * m;
    json_array_foreach(channels, i, c) {
        sort_array(json_object_get(c, "samples"), by_name);
        json_array_foreach(json_object_get(c, "samples"), k, smp) {
            sort_array(json_object_get(smp, "modifiers"), by_name_type);
        }
    }
    sort_array(json_object_get(s, "measurements"), by_name);
    json_array_foreach(json_object_get(s, "measurements"), i, m) {
        sort_array(json_object_get(json_object_get(m, "config"), "parameters"), by_name);
    }
    sort_array(json_object_get(s, "observations"), by_name);
    return s;
}

//
// prune and rename (pyhf's Workspace._prune_and_rename)
//

struct prune_rename {
    struct cli_strings channels, samples, modifiers, modifier_types, measurements; /* prune */
    struct renames r_channels, r_samples, r_modifiers, r_measurements;        /* rename */
};

static void prune_rename_free(struct prune_rename * p) {
    struct cli_strings * lists[] = {&p->channels, &p->samples, &p->modifiers, &p->modifier_types, &p->measurements,
                                &p->r_channels.from, &p->r_channels.to, &p->r_samples.from, &p->r_samples.to,
                                &p->r_modifiers.from, &p->r_modifiers.to, &p->r_measurements.from,
                                &p->r_measurements.to};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        free(lists[i]->v);
    }
}

/* Whether the workspace has a modifier with this name (field "name") or type (field "type"), a
 * sample, channel or measurement of this name. */
static bool has_modifier(const json_t * spec, const char * field, const char * value) {
    size_t   i, k, j;
    json_t * c, * s, * m;
    json_array_foreach(json_object_get(spec, "channels"), i, c) {
        json_array_foreach(json_object_get(c, "samples"), k, s) {
            json_array_foreach(json_object_get(s, "modifiers"), j, m) {
                const char * v = json_string_value(json_object_get(m, field));
                if (v && strcmp(v, value) == 0) {
                    return true;
                }
            }
        }
    }
    return false;
}

static bool has_sample(const json_t * spec, const char * name) {
    size_t   i, k;
    json_t * c, * s;
    json_array_foreach(json_object_get(spec, "channels"), i, c) {
        json_array_foreach(json_object_get(c, "samples"), k, s) {
            if (strcmp(name_of(s), name) == 0) {
                return true;
            }
        }
    }
    return false;
}

static bool has_named(const json_t * list, const char * name) {
    size_t   i;
    json_t * x;
    json_array_foreach(list, i, x) {
        if (strcmp(name_of(x), name) == 0) {
            return true;
        }
    }
    return false;
}

/* pyhf's checks: every name to prune or rename exists (InvalidWorkspaceOperation). */
static int check_names(const json_t * spec, const char * source, const struct prune_rename * p) {
    for (size_t i = 0; i < p->modifier_types.n; i++) {
        if (!has_modifier(spec, "type", p->modifier_types.v[i])) {
            cli_error("%s: %s is not one of the modifier types in this workspace", source, p->modifier_types.v[i]);
            return CLI_FAIL;
        }
    }
    const struct {
        const struct cli_strings * list;
        const char *           what;
    } checks[] = {
        {&p->modifiers, "modifiers"},       {&p->r_modifiers.from, "modifiers"},   {&p->samples, "samples"},
        {&p->r_samples.from, "samples"},    {&p->channels, "channels"},             {&p->r_channels.from, "channels"},
        {&p->measurements, "measurements"}, {&p->r_measurements.from, "measurements"},
    };
    for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
        for (size_t i = 0; i < checks[c].list->n; i++) {
            const char * name = checks[c].list->v[i];
            bool         ok   = strcmp(checks[c].what, "modifiers") == 0  ? has_modifier(spec, "name", name)
                                : strcmp(checks[c].what, "samples") == 0  ? has_sample(spec, name)
                                : strcmp(checks[c].what, "channels") == 0 ? has_named(json_object_get(spec, "channels"), name)
                                                                           : has_named(json_object_get(spec, "measurements"), name);
            if (!ok) {
                cli_error("%s: %s is not one of the %s in this workspace", source, name, checks[c].what);
                return CLI_FAIL;
            }
        }
    }
    return CLI_OK;
}

/* A copy of object o with "name" set to name (dict(o, name=...)). */
static json_t * with_name(const json_t * o, const char * name) {
    json_t * c = json_deep_copy(o);
    json_object_set_new(c, "name", json_string(name));
    return c;
}

static json_t * prune_rename_spec(const json_t * spec, const struct prune_rename * p) {
    json_t * channels = json_array();
    size_t   i, k, j;
    json_t * c, * s, * m, * x;
    json_array_foreach(json_object_get(spec, "channels"), i, c) {
        if (strlist_has(&p->channels, name_of(c))) {
            continue;
        }
        json_t * samples = json_array();
        json_array_foreach(json_object_get(c, "samples"), k, s) {
            if (strlist_has(&p->samples, name_of(s))) {
                continue;
            }
            json_t * mods = json_array();
            json_array_foreach(json_object_get(s, "modifiers"), j, m) {
                const char * type = json_string_value(json_object_get(m, "type"));
                if (!strlist_has(&p->modifiers, name_of(m)) && !strlist_has(&p->modifier_types, type ? type : "")) {
                    json_array_append_new(mods, with_name(m, renamed(&p->r_modifiers, name_of(m))));
                }
            }
            json_array_append_new(samples, json_pack("{s:s, s:O, s:o}", "name", renamed(&p->r_samples, name_of(s)),
                                                     "data", json_object_get(s, "data"), "modifiers", mods));
        }
        json_array_append_new(channels, json_pack("{s:s, s:o}", "name", renamed(&p->r_channels, name_of(c)), "samples", samples));
    }
    json_t * measurements = json_array();
    json_array_foreach(json_object_get(spec, "measurements"), i, m) {
        if (strlist_has(&p->measurements, name_of(m))) {
            continue;
        }
        json_t *     config = json_object_get(m, "config");
        json_t *     pars   = json_array();
        const char * poi    = json_string_value(json_object_get(config, "poi"));
        json_array_foreach(json_object_get(config, "parameters"), k, x) {
            if (!strlist_has(&p->modifiers, name_of(x))) {
                json_array_append_new(pars, with_name(x, renamed(&p->r_modifiers, name_of(x))));
            }
        }
        json_t * cfg = json_pack("{s:o, s:s}", "parameters", pars, "poi", renamed(&p->r_modifiers, poi ? poi : ""));
        json_array_append_new(measurements, json_pack("{s:s, s:o}", "name", renamed(&p->r_measurements, name_of(m)),
                                                      "config", cfg));
    }
    json_t * observations = json_array();
    json_array_foreach(json_object_get(spec, "observations"), i, x) {
        if (!strlist_has(&p->channels, name_of(x))) {
            json_array_append_new(observations, with_name(x, renamed(&p->r_channels, name_of(x))));
        }
    }
    return json_pack("{s:o, s:o, s:o, s:O}", "channels", channels, "measurements", measurements, "observations",
                     observations, "version", json_object_get(spec, "version"));
}

//
// combine (pyhf's Workspace.combine and its _join_* helpers)
//

enum join { JOIN_NONE, JOIN_OUTER, JOIN_LEFT, JOIN_RIGHT };
static const char * const JOIN_NAMES[] = {"none", "outer", "left outer", "right outer"};
static const char * const JOIN_LIST    = "none, outer, 'left outer' or 'right outer'";

/* Index of the first of the first n items of arr named name, or -1. */
static long index_of_n(const json_t * arr, size_t n, const char * name) {
    for (size_t i = 0; i < n && i < json_array_size(arr); i++) {
        if (strcmp(name_of(json_array_get(arr, i)), name) == 0) {
            return (long) i;
        }
    }
    return -1;
}

static long index_of(const json_t * arr, const char * name) { return index_of_n(arr, json_array_size(arr), name); }

static bool contains_equal(const json_t * arr, const json_t * item) {
    size_t   i;
    json_t * x;
    json_array_foreach(arr, i, x) {
        if (jout_equal(x, item)) {
            return true;
        }
    }
    return false;
}

/* _join_items: the primary list (right for a right outer join), then the secondary's items by the
 * join's rule; deep (a key, or NULL) merges the lists under that key of items named alike. */
static json_t * join_items(enum join join, const json_t * left, const json_t * right, const char * deep) {
    const json_t * primary   = join == JOIN_RIGHT ? right : left;
    const json_t * secondary = join == JOIN_RIGHT ? left : right;
    json_t *       joined    = json_deep_copy(primary);
    size_t         n_keys    = json_array_size(joined); /* pyhf's keys: the primary's names only */
    size_t         i;
    json_t *       item;
    json_array_foreach(secondary, i, item) {
        long at = index_of_n(joined, n_keys, name_of(item));
        if (at >= 0 && deep) {
            json_t * target = json_array_get(joined, (size_t) at);
            json_t * merged = join_items(JOIN_LEFT, json_object_get(target, deep), json_object_get(item, deep), NULL);
            json_object_set_new(target, deep, merged);
        } else if (join == JOIN_NONE || (join == JOIN_OUTER && !contains_equal(primary, item))
                   || ((join == JOIN_LEFT || join == JOIN_RIGHT) && at < 0)) {
            json_array_append_new(joined, json_deep_copy(item));
        }
    }
    return joined;
}

/* The names that occur in both lists (none join) or more than once in joined (outer join), as
 * "'a', 'b'" into buf; false when there are none. */
static bool name_clashes(enum join join, const json_t * left, const json_t * right, const json_t * joined, char * buf,
                         size_t cap) {
    size_t n = 0;
    buf[0]   = '\0';
    if (join == JOIN_NONE) {
        size_t   i;
        json_t * x;
        json_array_foreach(left, i, x) {
            if (index_of(right, name_of(x)) >= 0 && n < cap) {
                n += (size_t) snprintf(buf + n, cap - n, "%s'%s'", n ? ", " : "", name_of(x));
            }
        }
    } else if (join == JOIN_OUTER) {
        size_t   i;
        json_t * x;
        json_array_foreach(joined, i, x) {
            if (index_of(joined, name_of(x)) == (long) i) {
                bool again = false;
                for (size_t k = i + 1; k < json_array_size(joined); k++) {
                    again = again || strcmp(name_of(json_array_get(joined, k)), name_of(x)) == 0;
                }
                if (again && n < cap) {
                    n += (size_t) snprintf(buf + n, cap - n, "%s'%s'", n ? ", " : "", name_of(x));
                }
            }
        }
    }
    return n > 0;
}

/* _join_measurements: an outer join merges measurements named alike (same POI required) and joins
 * their parameter configs. Returns NULL after printing an error. */
static json_t * join_measurements(enum join join, const json_t * left, const json_t * right, const char * where) {
    json_t * joined = join_items(join, left, right, NULL);
    char     names[1024];
    if (join == JOIN_NONE && name_clashes(join, left, right, joined, names, sizeof names)) {
        cli_error("%s: the workspaces have measurements in common with the same name: %s (try another --join: %s)", where, names, JOIN_LIST);
        json_decref(joined);
        return NULL;
    }
    if (join != JOIN_OUTER) {
        return joined;
    }
    json_t * out = json_array();
    size_t   i;
    json_t * m;
    json_array_foreach(joined, i, m) {
        if (index_of(joined, name_of(m)) != (long) i) {
            continue; /* merged into the first one of its name */
        }
        json_t *     config = json_object_get(m, "config");
        const char * poi    = json_string_value(json_object_get(config, "poi"));
        json_t *     pars   = json_deep_copy(json_object_get(config, "parameters"));
        size_t       count  = 1;
        for (size_t k = i + 1; k < json_array_size(joined) && pars; k++) {
            json_t * other = json_array_get(joined, k);
            if (strcmp(name_of(other), name_of(m)) != 0) {
                continue;
            }
            json_t *     oc   = json_object_get(other, "config");
            const char * opoi = json_string_value(json_object_get(oc, "poi"));
            if (strcmp(poi ? poi : "", opoi ? opoi : "") != 0) {
                cli_error("%s: the workspaces have the same measurement '%s' with different POIs ('%s', '%s')", where, name_of(m), poi ? poi : "", opoi ? opoi : "");
                json_decref(pars), json_decref(out), json_decref(joined);
                return NULL;
            }
            json_t * merged = join_items(JOIN_OUTER, pars, json_object_get(oc, "parameters"), NULL);
            json_decref(pars);
            pars = merged;
            count++;
        }
        if (count > 1 && name_clashes(JOIN_OUTER, NULL, NULL, pars, names, sizeof names)) {
            cli_error("%s: the workspaces have the measurement '%s' with incompatible parameter configs: %s "
                      "(try another --join: %s)", where, name_of(m), names, JOIN_LIST);
            json_decref(pars), json_decref(out), json_decref(joined);
            return NULL;
        }
        json_array_append_new(out, count > 1 ? json_pack("{s:s, s:{s:s, s:o}}", "name", name_of(m), "config", "poi",
                                                         poi ? poi : "", "parameters", pars)
                                             : (json_decref(pars), json_deep_copy(m)));
    }
    json_decref(joined);
    return out;
}

/* Channels or observations, with pyhf's checks of the none and outer joins. */
static json_t * join_checked(enum join join, const json_t * left, const json_t * right, const char * deep,
                             const char * what, const char * where) {
    json_t * joined = join_items(join, left, right, deep);
    char     names[1024];
    if (name_clashes(join, left, right, joined, names, sizeof names)) {
        cli_error("%s: the workspaces have %s in common %s: %s (try another --join: %s)", where, what,
                  join == JOIN_NONE ? "with the same name" : "with incompatible structure", names, JOIN_LIST);
        json_decref(joined);
        return NULL;
    }
    return joined;
}

/* where names the two inputs in messages: "a.json + b.json". */
static json_t * combine_specs(const json_t * l, const json_t * r, enum join join, bool merge, const char * where) {
    const char * lv = json_string_value(json_object_get(l, "version"));
    const char * rv = json_string_value(json_object_get(r, "version"));
    if (strcmp(lv ? lv : "", rv ? rv : "") != 0) {
        cli_error("%s: workspaces of different versions cannot be combined: %s != %s", where, lv ? lv : "", rv ? rv : "");
        return NULL;
    }
    json_t * ch  = join_checked(join, json_object_get(l, "channels"), json_object_get(r, "channels"),
                                merge ? "samples" : NULL, "channels", where);
    json_t * obs = ch ? join_checked(join, json_object_get(l, "observations"), json_object_get(r, "observations"),
                                     NULL, "observations", where)
                      : NULL;
    json_t * ms  = obs ? join_measurements(join, json_object_get(l, "measurements"), json_object_get(r, "measurements"), where)
                       : NULL;
    if (!ms) {
        json_decref(ch), json_decref(obs);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:o, s:s}", "channels", ch, "measurements", ms, "observations", obs, "version", lv);
}

//
// The commands
//

struct spec_args {
    struct prune_rename pr;
    enum join           join;
    bool                merge;
    struct cli_strings      algorithms;
    bool                as_json;
};

static const struct cli_opt PRUNE_OPTS[] = {
    {SOPT_CHANNEL, "--channel", "-c", "NAME", "channel to remove (with its observations); repeatable"},
    {SOPT_SAMPLE, "--sample", "-s", "NAME", "sample to remove; repeatable"},
    {SOPT_MODIFIER, "--modifier", "-m", "NAME", "modifier to remove (with its parameter configs); repeatable"},
    {SOPT_MODIFIER_TYPE, "--modifier-type", "-t", "TYPE", "modifier type to remove (normsys, histosys, ...); repeatable"},
    {SOPT_MEASUREMENT, "--measurement", NULL, "NAME", "measurement to remove; repeatable"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt RENAME_OPTS[] = {
    {SOPT_CHANNEL, "--channel", "-c", "OLD NEW", "rename channel OLD (and its observations) to NEW; repeatable"},
    {SOPT_SAMPLE, "--sample", "-s", "OLD NEW", "rename sample OLD to NEW; repeatable"},
    {SOPT_MODIFIER, "--modifier", "-m", "OLD NEW", "rename modifier OLD (and its parameter configs, the POI) to NEW"},
    {SOPT_MEASUREMENT, "--measurement", NULL, "OLD NEW", "rename measurement OLD to NEW; repeatable"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt COMBINE_OPTS[] = {
    {SOPT_JOIN, "--join", "-j", "JOIN", "none (default), outer, 'left outer' or 'right outer', as pyhf's Workspace.combine"},
    {SOPT_MERGE, "--merge-channels", NULL, NULL, "merge the samples of channels named alike (outer joins only)"},
    {SOPT_NO_MERGE, "--no-merge-channels", NULL, NULL, "keep channels named alike apart (default)"},
    {0, NULL, NULL, NULL, NULL},
};
static const struct cli_opt DIGEST_OPTS[] = {
    {SOPT_ALGORITHM, "--algorithm", "-a", "ALG", "md5, sha1 or sha256 (default); repeatable"},
    {SOPT_JSON, "--json", "-j", NULL, "print {algorithm: digest} as JSON"},
    {SOPT_PLAINTEXT, "--plaintext", "-p", NULL, "print algorithm:digest lines (default)"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * PRUNE_TABLES[]   = {PRUNE_OPTS, output_opt_table, cli_help_table, NULL};
static const struct cli_opt * RENAME_TABLES[]  = {RENAME_OPTS, output_opt_table, cli_help_table, NULL};
static const struct cli_opt * COMBINE_TABLES[] = {COMBINE_OPTS, output_opt_table, cli_help_table, NULL};
static const struct cli_opt * DIGEST_TABLES[]  = {DIGEST_OPTS, cli_help_table, NULL};
static const struct cli_opt * SORT_TABLES[]    = {output_opt_table, cli_help_table, NULL};
static const char * const     WS_POS[]         = {"WORKSPACE", NULL};
static const char * const     TWO_POS[]        = {"WORKSPACE_ONE", "WORKSPACE_TWO", NULL};

#define WS_NOTE "\nWORKSPACE '-' or absent: standard input. The result is printed as pyhf prints it\n" \
                "(indent 4, sorted keys), and must be a valid workspace."

static const struct cli_command PRUNE = {
    "prune", "prune [WORKSPACE] [-c CHANNEL] [-s SAMPLE] [-m MODIFIER] [-t TYPE] [--measurement NAME] [--output-file FILE]",
    "Removes channels, samples, modifiers (by name or type) and measurements from a workspace, as\n"
    "'pyhf prune' (pyhf.Workspace.prune); every name given must exist." WS_NOTE,
    PRUNE_TABLES, WS_POS, false,
};
static const struct cli_command RENAME = {
    "rename", "rename [WORKSPACE] [-c OLD NEW] [-s OLD NEW] [-m OLD NEW] [--measurement OLD NEW] [--output-file FILE]",
    "Renames channels, samples, modifiers and measurements of a workspace, as 'pyhf rename'\n"
    "(pyhf.Workspace.rename); every OLD name must exist." WS_NOTE,
    RENAME_TABLES, WS_POS, false,
};
static const struct cli_command COMBINE = {
    "combine", "combine WORKSPACE_ONE WORKSPACE_TWO [--join JOIN] [--merge-channels] [--output-file FILE]",
    "Combines two workspaces into one, as 'pyhf combine' (pyhf.Workspace.combine): their channels,\n"
    "observations and measurements joined; measurements named alike are merged (same POI).\n"
    "One of the two may be '-' or absent: standard input.",
    COMBINE_TABLES, TWO_POS, false,
};
static const struct cli_command DIGEST = {
    "digest", "digest [WORKSPACE] [-a ALG]... [--json | --plaintext]",
    "Prints the digest of a workspace as 'pyhf digest' (pyhf.utils.digest): the hash of\n"
    "json.dumps(workspace, sort_keys=True, ensure_ascii=False), floats as Python's repr, so that the\n"
    "digests equal pyhf's and those in patchsets' metadata. WORKSPACE '-' or absent: standard input.",
    DIGEST_TABLES, WS_POS, false,
};
static const struct cli_command SORT = {
    "sort", "sort [WORKSPACE] [--output-file FILE]",
    "Sorts a workspace as 'pyhf sort' (pyhf.Workspace.sorted): channels, samples, modifiers (by name,\n"
    "then type), measurements, parameter configs and observations by name." WS_NOTE,
    SORT_TABLES, WS_POS, false,
};

static int spec_extra(void * ctx, const struct cli_opt * o, const char * v) {
    struct spec_args * a = ctx;
    switch (o->id) {
    case SOPT_CHANNEL: return cli_strings_add(&a->pr.channels, v);
    case SOPT_SAMPLE: return cli_strings_add(&a->pr.samples, v);
    case SOPT_MODIFIER: return cli_strings_add(&a->pr.modifiers, v);
    case SOPT_MODIFIER_TYPE: {
        static const char * const types[] = {"histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror"};
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            if (strcmp(types[i], v) == 0) {
                return cli_strings_add(&a->pr.modifier_types, v);
            }
        }
        return cli_usage_error("prune", "invalid value '%s' for --modifier-type (expected histosys, lumi, normfactor, "
                                        "normsys, shapefactor, shapesys or staterror)", v);
    }
    case SOPT_MEASUREMENT: return cli_strings_add(&a->pr.measurements, v);
    case SOPT_JOIN:
        for (int j = JOIN_NONE; j <= JOIN_RIGHT; j++) {
            if (strcmp(JOIN_NAMES[j], v) == 0) {
                a->join = (enum join) j;
                return CLI_OK;
            }
        }
        return cli_usage_error("combine", "invalid value '%s' for --join (expected %s)", v, JOIN_LIST);
    case SOPT_MERGE: a->merge = true; return CLI_OK;
    case SOPT_NO_MERGE: a->merge = false; return CLI_OK;
    case SOPT_ALGORITHM: {
        char hex[72];
        if (!digest_hex(v, (const unsigned char *) "", 0, hex)) {
            return cli_usage_error("digest", "unknown algorithm '%s' for --algorithm (expected %s)", v, digest_names);
        }
        return strlist_has(&a->algorithms, v) ? CLI_OK : cli_strings_add(&a->algorithms, v); /* a dict: once each */
    }
    case SOPT_JSON: a->as_json = true; return CLI_OK;
    case SOPT_PLAINTEXT: a->as_json = false; return CLI_OK;
    default: return CLI_NOT_MINE;
    }
}

/* Parses argv with cmd's tables; rename's options take two values (OLD NEW), which the shared parser
 * does not know: they are taken out of argv first. */
static int parse(const struct cli_command * cmd, int argc, char ** argv, struct spec_args * a, struct cli_parsed * out) {
    if (cmd != &RENAME) {
        return cli_parse_command(cmd, argc, argv, NULL, NULL, spec_extra, a, out);
    }
    char ** rest = malloc((size_t) (argc + 1) * sizeof *rest);
    if (!rest) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int n = 0;
    for (int i = 0; i < argc; i++) {
        struct renames * r   = NULL;
        const char *     arg = argv[i];
        if (i > 0 && strcmp(arg, "--") == 0) { /* the rest is positional */
            while (i < argc) {
                rest[n++] = argv[i++];
            }
            break;
        }
        r = strcmp(arg, "-c") == 0 || strcmp(arg, "--channel") == 0       ? &a->pr.r_channels
            : strcmp(arg, "-s") == 0 || strcmp(arg, "--sample") == 0      ? &a->pr.r_samples
            : strcmp(arg, "-m") == 0 || strcmp(arg, "--modifier") == 0    ? &a->pr.r_modifiers
            : strcmp(arg, "--measurement") == 0                           ? &a->pr.r_measurements
                                                                          : NULL;
        if (i == 0 || !r) {
            rest[n++] = argv[i];
            continue;
        }
        if (i + 2 >= argc) {
            free(rest);
            return cli_usage_error("rename", "option '%s' needs two values: OLD NEW", arg);
        }
        if (cli_strings_add(&r->from, argv[i + 1]) != CLI_OK || cli_strings_add(&r->to, argv[i + 2]) != CLI_OK) {
            free(rest);
            return CLI_FAIL;
        }
        i += 2;
    }
    rest[n] = NULL;
    int rc  = cli_parse_command(cmd, n, rest, NULL, NULL, spec_extra, a, out);
    free(rest);
    return rc;
}

static int run_one(const struct cli_command * cmd, int argc, char ** argv) {
    struct spec_args  a = {0};
    struct cli_parsed args;
    int               rc = parse(cmd, argc, argv, &a, &args);
    if (rc != CLI_OK) {
        prune_rename_free(&a.pr);
        free(a.algorithms.v);
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    hfx_workspace_t ws = NULL, ws2 = NULL;
    json_t *        tree = NULL, *tree2 = NULL; /* their JSON, for the commands that edit or hash it */
    if (cmd == &COMBINE && a.merge && a.join == JOIN_NONE) {
        rc = cli_usage_error("combine", "--merge-channels needs --join outer, 'left outer' or 'right outer'");
    } else {
        rc = load_valid(args.pos[0], &ws);
    }
    if (rc == CLI_OK && cmd == &COMBINE) {
        rc = load_valid(args.pos[1], &ws2);
    }
    if (rc == CLI_OK && !(tree = cli_workspace_tree(ws))) {
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && ws2 && !(tree2 = cli_workspace_tree(ws2))) {
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && cmd == &DIGEST) {
        if (a.algorithms.n == 0) {
            rc = cli_strings_add(&a.algorithms, "sha256");
        }
        json_t * j = json_object();
        for (size_t i = 0; rc == CLI_OK && i < a.algorithms.n; i++) {
            char hex[72];
            if (!digest_json(a.algorithms.v[i], tree, hex)) {
                cli_error("out of memory");
                rc = CLI_FAIL;
            } else if (a.as_json) {
                json_object_set_new(j, a.algorithms.v[i], json_string(hex));
            } else {
                printf("%s:%s\n", a.algorithms.v[i], hex);
            }
        }
        rc = rc == CLI_OK && a.as_json ? jout_emit(j, NULL) : rc;
        json_decref(j);
    } else if (rc == CLI_OK) {
        json_t * result = NULL;
        if (cmd == &SORT) {
            result = sorted_spec(tree);
        } else if (cmd == &COMBINE) {
            if (a.join == JOIN_LEFT || a.join == JOIN_RIGHT) { /* pyhf logs this warning too */
                cli_warning("you are using an unsafe join operation ('%s'): it silences errors that a normal "
                            "'outer' join would raise", JOIN_NAMES[a.join]);
            }
            char where[1024];
            snprintf(where, sizeof where, "%s + %s", hfx_workspace_source(ws), hfx_workspace_source(ws2));
            result = combine_specs(tree, tree2, a.join, a.merge, where);
        } else if ((rc = check_names(tree, hfx_workspace_source(ws), &a.pr)) == CLI_OK) {
            result = prune_rename_spec(tree, &a.pr);
        }
        if (rc == CLI_OK && !result) {
            rc = CLI_FAIL; /* printed (or out of memory, which jansson does not say) */
        }
        if (rc == CLI_OK) {
            rc = emit_new(ws, cmd->name, result, args.output_file);
        }
    }
    json_decref(tree);
    json_decref(tree2);
    hfx_workspace_free(ws);
    hfx_workspace_free(ws2);
    prune_rename_free(&a.pr);
    free(a.algorithms.v);
    free(args.pos);
    return rc;
}

int cmd_combine(int argc, char ** argv) { return run_one(&COMBINE, argc, argv); }
int cmd_digest(int argc, char ** argv) { return run_one(&DIGEST, argc, argv); }
int cmd_prune(int argc, char ** argv) { return run_one(&PRUNE, argc, argv); }
int cmd_rename(int argc, char ** argv) { return run_one(&RENAME, argc, argv); }
int cmd_sort(int argc, char ** argv) { return run_one(&SORT, argc, argv); }
