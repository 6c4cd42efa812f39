/*
 * workspace.c -- the public hfx_workspace_* functions: load, copy, patch, dump.
 *
 * A workspace is only a jansson tree plus the name of the file it came from and of the patches
 * applied to it: errors found after patching name them, "bkg.json (patched by sig.patch.json)", since
 * the culprit may be in either. Trees are shared
 * between copies and changed only copy-on-write (the rule is written at the top of json-patch.c):
 * copying is one reference, freeing one json_decref(). Loading checks that the
 * text is JSON and nothing more: pyhf validates after patching, and so do we (hfx_model_create calls
 * hfx__spec_build). Every public function builds its error in a fresh local report and copies it to
 * the caller's only on failure, so a reused struct hfx_error never mixes two errors and is left
 * untouched on success.
 */
#include "io/io.h"
#include "spec/spec.h"

#include <ctype.h>
#include <stdio.h>

#include <string.h>

static char * dup_string(const char * s) {
    size_t n = strlen(s) + 1;
    char * p = hfx__malloc(n);
    if (p) {
        memcpy(p, s, n);
    }
    return p;
}

/* Copies tmp to err (if any) with source set, and returns tmp's code. */
static enum hfx_status fail(struct hfx_error * err, const struct hfx_error * tmp, const char * source) {
    if (err) {
        *err = *tmp;
        if (source && tmp->source[0] == '\0') {
            snprintf(err->source, sizeof err->source, "%s", source);
        }
    }
    return tmp->code;
}

/* An error with no source, line or pointer left over from an earlier report. */
static enum hfx_status fresh_error(struct hfx_error * err, enum hfx_status code, const char * msg) {
    return hfx__error(err, code, NULL, "%s", msg);
}

/* An HS3 document becomes the pyhf tree it describes (root consumed, *root replaced); anything else
 * is left as it is, for validation to judge. */
static enum hfx_status from_hs3(json_t ** root, const char * source, struct hfx_error * err) {
    if (!hfx__hs3_is(*root)) {
        return HFX_OK;
    }
    json_t *         ws  = NULL;
    struct hfx_error tmp = {0};
    enum hfx_status  st  = hfx__hs3_read(*root, &ws, &tmp);
    json_decref(*root);
    *root = ws;
    return st == HFX_OK ? HFX_OK : fail(err, &tmp, source);
}

/* A new workspace around root (consumed), read from file, named source in messages. */
static enum hfx_status wrap(json_t * root, const char * file, const char * source, hfx_workspace_t * out,
                            struct hfx_error * err) {
    struct hfx_workspace * ws  = hfx__malloc(sizeof *ws);
    char *                 f   = dup_string(file);
    char *                 src = dup_string(source);
    if (!ws || !f || !src) {
        free(ws);
        free(f);
        free(src);
        json_decref(root);
        return hfx__error_oom(err, "a workspace handle", sizeof *ws + strlen(file) + strlen(source) + 2);
    }
    ws->root   = root;
    ws->file   = f;
    ws->source = src;
    *out       = ws;
    return HFX_OK;
}

enum hfx_status hfx__workspace_note_patch(hfx_workspace_t ws, const char * what, struct hfx_error * err) {
    bool   first = strcmp(ws->source, ws->file) == 0;
    size_t n     = strlen(ws->source) + strlen(what) + sizeof " (patched by )";
    char * s     = hfx__malloc(n);
    if (!s) {
        return hfx__error_oom(err, "the name of a patched workspace", n);
    }
    if (first) {
        snprintf(s, n, "%s (patched by %s)", ws->file, what);
    } else { /* "file (patched by a, b)": the closing parenthesis moves to the end */
        snprintf(s, n, "%.*s, %s)", (int) (strlen(ws->source) - 1), ws->source, what);
    }
    free(ws->source);
    ws->source = s;
    return HFX_OK;
}

enum hfx_status hfx_workspace_load(const char * path, hfx_workspace_t * out, struct hfx_error * err) {
    if (!path || !out) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_load: NULL argument");
    }
    *out = NULL;
    if (hfx__is_xml_file(path)) {
        return hfx_workspace_load_xml(path, NULL, out, err);
    }
    json_t *        root = NULL;
    enum hfx_status st   = hfx__json_load_file(path, &root, err);
    st                   = st == HFX_OK ? from_hs3(&root, path, err) : st;
    return st == HFX_OK ? wrap(root, path, path, out, err) : st;
}

enum hfx_status hfx_workspace_load_fd(int fd, const char * name, hfx_workspace_t * out, struct hfx_error * err) {
    if (!out) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_load_fd: NULL argument");
    }
    *out            = NULL;
    name            = name ? name : "<fd>";
    json_t *        root = NULL;
    enum hfx_status st   = hfx__json_load_fd(fd, name, &root, err);
    st                   = st == HFX_OK ? from_hs3(&root, name, err) : st;
    return st == HFX_OK ? wrap(root, name, name, out, err) : st;
}

/* A HistFactory driver XML is recognised by its content: the first non-blank byte is '<' (JSON
 * starts with '{'), so every command that loads a workspace also takes a driver XML. */
bool hfx__is_xml_file(const char * path) {
    FILE * f = fopen(path, "rb");
    int    c = EOF;
    if (f) {
        do {
            c = fgetc(f);
        } while (c != EOF && isspace(c));
        fclose(f);
    }
    return c == '<';
}

enum hfx_status hfx_workspace_load_xml(const char * driver, const char * basedir, hfx_workspace_t * out,
                                       struct hfx_error * err) {
    return hfx_workspace_load_xml_mounted(driver, basedir, NULL, 0, out, err);
}

enum hfx_status hfx_workspace_load_xml_mounted(const char * driver, const char * basedir,
                                               const struct hfx_xml_mount * mounts, size_t n_mounts,
                                               hfx_workspace_t * out, struct hfx_error * err) {
    if (!driver || !out || (n_mounts && !mounts)) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_load_xml: NULL argument");
    }
    for (size_t i = 0; i < n_mounts; i++) {
        if (!mounts[i].local_path || !mounts[i].xml_path) {
            return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_load_xml_mounted: a mount with a NULL path");
        }
    }
    *out                 = NULL;
    json_t *         root = NULL;
    struct hfx_error tmp  = {0};
    enum hfx_status  st   = hfx__xml_read_workspace(driver, basedir, mounts, n_mounts, &root, &tmp);
    return st == HFX_OK ? wrap(root, driver, driver, out, err) : fail(err, &tmp, driver);
}

enum hfx_status hfx_workspace_write_xml(hfx_workspace_t ws, const char * dir, struct hfx_error * err) {
    if (!ws || !dir) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_write_xml: NULL argument");
    }
    struct hfx_error tmp = {0};
    enum hfx_status  st  = hfx__xml_write_workspace(ws->root, dir, &tmp);
    /* an error with a JSON pointer is about the workspace (a name XML cannot hold): name its file */
    return st == HFX_OK ? HFX_OK : fail(err, &tmp, tmp.pointer[0] ? ws->source : NULL);
}

enum hfx_status hfx_workspace_dump_hs3(hfx_workspace_t ws, const struct hfx_model_options * opts, char ** out_json,
                                       struct hfx_error * err) {
    if (!ws || !out_json) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_dump_hs3: NULL argument");
    }
    *out_json            = NULL;
    json_t *         hs3 = NULL;
    struct hfx_error tmp = {0};
    enum hfx_status  st  = hfx__hs3_write(ws->root, ws->source, opts, &hs3, &tmp);
    if (st != HFX_OK) {
        return fail(err, &tmp, ws->source);
    }
    *out_json = hfx__json_dumps(hs3, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(hs3);
    return *out_json ? HFX_OK : fresh_error(err, HFX_ERR_ALLOC, "out of memory serialising HS3 JSON text");
}

enum hfx_status hfx_workspace_load_string(const char * json, const char * name, hfx_workspace_t * out,
                                          struct hfx_error * err) {
    if (!json || !out) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_load_string: NULL argument");
    }
    *out = NULL;
    json_t *        root = NULL;
    enum hfx_status st   = hfx__json_load_string(json, name, &root, err);
    st                   = st == HFX_OK ? from_hs3(&root, name ? name : "<string>", err) : st;
    return st == HFX_OK ? wrap(root, name ? name : "<string>", name ? name : "<string>", out, err) : st;
}

enum hfx_status hfx_workspace_copy(hfx_workspace_t ws, hfx_workspace_t * out, struct hfx_error * err) {
    if (!ws || !out) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_copy: NULL argument");
    }
    *out = NULL;
    /* The copy shares the whole tree; patches copy what they change (copy-on-write, see json-patch.c),
     * so neither workspace ever sees the other's changes, whichever thread makes them. */
    return wrap(json_incref(ws->root), ws->file, ws->source, out, err);
}

void hfx_workspace_free(hfx_workspace_t ws) {
    if (ws) {
        json_decref(ws->root);
        free(ws->file);
        free(ws->source);
        free(ws);
    }
}

enum hfx_status hfx_workspace_apply_patch_file(hfx_workspace_t ws, const char * path, struct hfx_error * err) {
    if (!ws || !path) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_apply_patch_file: NULL argument");
    }
    json_t *        patch = NULL;
    enum hfx_status st    = hfx__json_load_file(path, &patch, err);
    if (st != HFX_OK) {
        return st;
    }
    struct hfx_error tmp = { 0 };
    st                   = hfx__json_patch_apply(&ws->root, patch, &tmp);
    json_decref(patch);
    return st == HFX_OK ? hfx__workspace_note_patch(ws, path, err) : fail(err, &tmp, path);
}

enum hfx_status hfx_workspace_apply_patch_string(hfx_workspace_t ws, const char * json, const char * name,
                                                 struct hfx_error * err) {
    if (!ws || !json) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_apply_patch_string: NULL argument");
    }
    json_t *        patch = NULL;
    enum hfx_status st    = hfx__json_load_string(json, name, &patch, err);
    if (st != HFX_OK) {
        return st;
    }
    struct hfx_error tmp = { 0 };
    st                   = hfx__json_patch_apply(&ws->root, patch, &tmp);
    json_decref(patch);
    return st == HFX_OK ? hfx__workspace_note_patch(ws, name ? name : "<string>", err)
                        : fail(err, &tmp, name ? name : "<string>");
}

enum hfx_status hfx_workspace_validate(hfx_workspace_t ws, struct hfx_error * err) {
    if (!ws) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_validate: NULL argument");
    }
    struct hfx_spec spec;
    memset(&spec, 0, sizeof spec);
    enum hfx_status st = hfx__spec_build(ws->root, ws->source, &spec, err);
    hfx__spec_free(&spec);
    return st;
}

enum hfx_status hfx_workspace_dump(hfx_workspace_t ws, char ** out_json, struct hfx_error * err) {
    if (!ws || !out_json) {
        return fresh_error(err, HFX_ERR_ARG, "hfx_workspace_dump: NULL argument");
    }
    /* 17 significant digits: every double survives the round trip. */
    *out_json = hfx__json_dumps(ws->root, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!*out_json) {
        return fresh_error(err, HFX_ERR_ALLOC, "out of memory serialising a workspace to JSON text");
    }
    return HFX_OK;
}

const char * hfx_workspace_source(hfx_workspace_t ws) {
    return ws ? ws->source : NULL;
}
