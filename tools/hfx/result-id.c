/*
 * result-id.c -- the identity of a result file (scan-file.h): a digest of everything that decides
 * the numbers in it. Files hfx writes to be continued (--resume) or joined (hfx merge, hfx toys
 * merge) carry it in their first line, so that a part computed on another background, other
 * patches or with other options is refused instead of mixed in.
 *
 * The digest is 64-bit FNV-1a over length-prefixed fields: the contents (bytes) of the workspace
 * and patch files, not their names, then the options. It guards against accidents, not against a
 * forger (who could as well edit the header): two different inputs collide with probability 2^-64.
 */
#include "scan-file.h"

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void fnv(uint64_t * h, const void * data, size_t n) {
    const unsigned char * p = data;
    for (size_t i = 0; i < n; i++) {
        *h = (*h ^ p[i]) * 0x100000001b3ULL;
    }
}

void rid_init(uint64_t * h) { *h = 0xcbf29ce484222325ULL; }

void rid_bytes(uint64_t * h, const void * data, size_t n) {
    uint64_t len = n; /* length first: "ab"+"c" and "a"+"bc" differ */
    fnv(h, &len, sizeof len);
    fnv(h, data, n);
}

void rid_str(uint64_t * h, const char * s) { rid_bytes(h, s ? s : "", s ? strlen(s) + 1 : 0); }

void rid_num(uint64_t * h, double x) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", x);
    rid_str(h, buf);
}

void rid_int(uint64_t * h, uint64_t x) { fnv(h, &x, sizeof x); }

int rid_file(uint64_t * h, const char * path) {
    if (strcmp(path, "-") == 0) {
        rid_str(h, "<standard input>"); /* read once, by the loader: its name stands for it */
        return CLI_OK;
    }
    FILE * f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: cannot read: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    unsigned char buf[1 << 16];
    uint64_t      total = 0;
    size_t        k;
    uint64_t      c = 0xcbf29ce484222325ULL;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        fnv(&c, buf, k);
        total += k;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        cli_error("%s: read failed", path);
        return CLI_FAIL;
    }
    rid_int(h, total);
    rid_int(h, c);
    return CLI_OK;
}

int rid_model(uint64_t * h, const struct model_opts * mo) {
    if (rid_file(h, mo->ws_path) != CLI_OK) {
        return CLI_FAIL;
    }
    rid_int(h, mo->patch_files.n);
    for (size_t i = 0; i < mo->patch_files.n; i++) {
        if (rid_file(h, mo->patch_files.v[i]) != CLI_OK) {
            return CLI_FAIL;
        }
    }
    rid_int(h, mo->patchset_path != NULL);
    if (mo->patchset_path && rid_file(h, mo->patchset_path) != CLI_OK) {
        return CLI_FAIL;
    }
    rid_str(h, mo->patch_name);
    const struct hfx_model_options * m = &mo->model;
    rid_str(h, m->measurement);
    rid_int(h, (uint64_t) m->normsys_interp);
    rid_int(h, (uint64_t) m->histosys_interp);
    rid_int(h, m->no_poi);
    /* the engine options that change a fit's answer; not the backend, threads or batch */
    rid_int(h, (uint64_t) mo->engine.explore);
    rid_int(h, (uint64_t) mo->engine.max_iter);
    rid_int(h, (uint64_t) mo->engine.optimizer);
    return CLI_OK;
}

void rid_hypotest(uint64_t * h, const struct hfx_hypotest_options * o, bool with_n_toys) {
    rid_num(h, o->poi_test);
    rid_int(h, (uint64_t) o->teststat);
    rid_int(h, (uint64_t) o->calctype);
    rid_int(h, o->calctype == HFX_CALC_TOYBASED && with_n_toys ? o->n_toys : 0);
    rid_int(h, o->calctype == HFX_CALC_TOYBASED ? o->seed : 0);
}

void rid_hex(uint64_t h, char out[17]) { snprintf(out, 17, "%016" PRIx64, h); }
