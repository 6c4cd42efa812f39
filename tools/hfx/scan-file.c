/*
 * scan-file.c -- whole-line output, shard headers and reading back an interrupted scan's file
 * (scan-file.h).
 */
#include "scan-file.h"

#include "array.h"
#include "cli.h"
#include "progress.h"


#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file is synced at most this often (and at the end): a process that is killed loses nothing that
 * was written (the kernel has it), a machine that crashes at most this much of the output. */
static const double SYNC_INTERVAL_S = 1.0;

int line_out_open(struct line_out * o, const char * path, bool append) {
    *o = (struct line_out){.fd = STDOUT_FILENO, .name = "standard output", .is_file = false};
    if (!path) {
        return CLI_OK;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) {
        cli_error("%s: cannot open for writing: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    *o = (struct line_out){.fd = fd, .name = path, .is_file = true, .last_sync = progress_now()};
    return CLI_OK;
}

bool line_out_write(struct line_out * o, const char * buf, size_t n) {
    /* stdio may hold earlier output of this process; lines bypass it */
    if (!o->is_file) {
        fflush(stdout);
    }
    while (n > 0) {
        ssize_t k = write(o->fd, buf, n);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            cli_error("%s: write failed: %s", o->name, k < 0 ? strerror(errno) : "nothing written");
            return false;
        }
        buf += k;
        n -= (size_t) k;
    }
    if (o->is_file && progress_now() - o->last_sync >= SYNC_INTERVAL_S) {
        fdatasync(o->fd);
        o->last_sync = progress_now();
    }
    return true;
}

int line_out_close(struct line_out * o) {
    if (!o->is_file) {
        return CLI_OK;
    }
    bool bad = fsync(o->fd) != 0 && errno != EINVAL; /* EINVAL: a pipe or device, nothing to sync */
    bad      = close(o->fd) != 0 || bad;
    o->fd    = -1;
    if (bad) {
        cli_error("%s: write failed: %s", o->name, strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

//
// Shard headers
//

size_t shard_count(size_t k, size_t n, size_t total) { return total >= k ? (total - k) / n + 1 : 0; }

static const char * const RESULT_NAMES[] = {"cls", "cls_toys", "upper_limit"}; /* enum scan_result */

const char * scan_result_name(enum scan_result r) { return RESULT_NAMES[r]; }

char * shard_header_line(const struct shard_header * h) {
    char buf[512], in[17], nm[17];
    rid_hex(h->inputs, in);
    rid_hex(h->names, nm);
    snprintf(buf, sizeof buf,
             "{\"hfx_scan\": 2, \"version\": \"%s\", \"result\": \"%s\", \"inputs\": \"%s\", \"shard\": \"%zu/%zu\", "
             "\"patches\": %zu, \"patches_total\": %zu, \"names\": \"%s\"}\n",
             h->version, RESULT_NAMES[h->result], in, h->k, h->n, h->count, h->total, nm);
    return strdup(buf);
}

static bool parse_hex(const char * s, uint64_t * out) {
    char * end = NULL;
    if (!s || strlen(s) != 16 || !isxdigit((unsigned char) s[0])) {
        return false;
    }
    errno = 0;
    *out  = strtoull(s, &end, 16);
    return errno == 0 && end && *end == '\0';
}

uint64_t names_digest(const char * const * names, size_t n) {
    uint64_t h;
    rid_init(&h);
    for (size_t i = 0; i < n; i++) {
        rid_str(&h, names[i]);
    }
    return h;
}

bool shard_header_parse(const char * line, struct shard_header * out, char * why, size_t cap) {
    json_error_t jerr;
    json_t *     j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(j)) {
        snprintf(why, cap, "not the identity line that starts a scan's --output file or shard (not a JSON object)");
        json_decref(j);
        return false;
    }
    json_t * fmt = json_object_get(j, "hfx_scan");
    if (!fmt) {
        bool old = json_object_get(j, "scan") || json_object_get(j, "patch");
        snprintf(why, cap, "%s",
                 old ? "written by an earlier hfx, before result files began with the identity of their inputs: it "
                       "cannot be checked against this scan (compute it again with this hfx, or finish and merge it "
                       "with the hfx that wrote it)"
                     : "not the identity line that starts a scan's --output file or shard (no \"hfx_scan\")");
        json_decref(j);
        return false;
    }
    if (!json_is_integer(fmt) || json_integer_value(fmt) != 2) {
        snprintf(why, cap, "\"hfx_scan\" is not 2: a format this hfx does not know");
        json_decref(j);
        return false;
    }
    const char * version = NULL, * result = NULL, * inputs = NULL, * shard = NULL, * names = NULL;
    json_int_t   count = -1, total = -1;
    int          rc = json_unpack(j, "{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "version", &version, "result", &result,
                                  "inputs", &inputs, "shard", &shard, "patches", &count, "patches_total", &total,
                                  "names", &names);
    struct shard_header h = {0};
    char                tail = 0;
    int                 r    = -1;
    for (int i = 0; rc == 0 && i < 3; i++) {
        r = strcmp(result, RESULT_NAMES[i]) == 0 ? i : r;
    }
    const char * bad = rc != 0                                   ? "a field missing or of the wrong type"
                       : strlen(version) >= sizeof h.version     ? "its \"version\" is too long"
                       : r < 0                                   ? "its \"result\" is not cls, cls_toys or upper_limit"
                       : !parse_hex(inputs, &h.inputs)           ? "its \"inputs\" is not 16 hex digits"
                       : !parse_hex(names, &h.names)             ? "its \"names\" is not 16 hex digits"
                       : sscanf(shard, "%zu/%zu%c", &h.k, &h.n, &tail) != 2 || h.k < 1 || h.k > h.n ||
                                 h.n > 1000000                   ? "its \"shard\" is not K/N with 1 <= K <= N <= 1000000"
                       : count < 0 || total < 0 || !cli_count_ok((uint64_t) count, sizeof(char *)) ||
                                 !cli_count_ok((uint64_t) total, sizeof(char *))
                           ? "its patch counts are negative or beyond hfx's limit of 4294967296"
                       : shard_count(h.k, h.n, (size_t) total) != (size_t) count
                           ? "its \"patches\" is not the size of its shard of \"patches_total\""
                           : NULL;
    if (bad) {
        snprintf(why, cap, "a damaged identity line: %s", bad);
        json_decref(j);
        return false;
    }
    snprintf(h.version, sizeof h.version, "%s", version);
    h.result = (enum scan_result) r;
    h.count  = (size_t) count;
    h.total  = (size_t) total;
    *out     = h;
    json_decref(j);
    return true;
}

//
// Lines
//

static bool is_num_or_null(const json_t * v) { return json_is_number(v) || json_is_null(v); }

static bool five_numbers(const json_t * a) {
    if (!json_is_array(a) || json_array_size(a) != 5) {
        return false;
    }
    for (size_t i = 0; i < 5; i++) {
        if (!is_num_or_null(json_array_get(a, i))) {
            return false;
        }
    }
    return true;
}

bool scan_line_check(const char * line, enum scan_result kind, char ** name, bool * is_error, char * why,
                     size_t cap) {
    *name     = NULL;
    *is_error = false;
    json_error_t jerr;
    json_t *     j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        snprintf(why, cap, "not JSON (column %d: %s)", jerr.column, jerr.text);
        return false;
    }
    const char * patch = json_string_value(json_object_get(j, "patch"));
    const char * bad   = NULL;
    if (!json_is_object(j) || !patch) {
        bad = "not a result line (a JSON object with a \"patch\" string)";
    } else if (json_object_get(j, "error")) {
        *is_error = true;
        bad       = json_is_string(json_object_get(j, "error")) ? NULL : "its \"error\" is not a string";
    } else if (kind == SCAN_RESULT_UPPER_LIMIT) {
        bad = !is_num_or_null(json_object_get(j, "obs")) || !five_numbers(json_object_get(j, "exp"))
                  ? "not a complete upper-limit result (\"obs\" and 5 \"exp\" values)"
                  : NULL;
    } else {
        bad = !is_num_or_null(json_object_get(j, "CLs_obs")) || !five_numbers(json_object_get(j, "CLs_exp"))
                  ? "not a complete CLs result (\"CLs_obs\" and 5 \"CLs_exp\" values)"
              : kind == SCAN_RESULT_CLS_TOYS && !json_is_integer(json_object_get(j, "toys_failed"))
                  ? "not a complete toy-based CLs result (no \"toys_failed\")"
                  : NULL;
    }
    if (bad) {
        snprintf(why, cap, "%s", bad);
    } else {
        *name = strdup(patch);
        if (!*name) {
            snprintf(why, cap, "out of memory");
            bad = why;
        }
    }
    json_decref(j);
    return bad == NULL;
}

//
// Resume
//

/* Reads the whole file; *size 0 and CLI_OK for a missing file. */
static int read_all(const char * path, char ** buf, size_t * size) {
    *buf  = NULL;
    *size = 0;
    FILE * f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            return CLI_OK;
        }
        cli_error("%s: cannot read: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    size_t cap = 0, n = 0, k;
    char * b   = NULL;
    do {
        /* room for a read of at least 64 KiB and the terminating NUL */
        if (!CLI_ARRAY_RESERVE(b, cap, n + 65536 + 1, 65536 + 1)) {
            free(b);
            fclose(f);
            cli_error("out of memory");
            return CLI_FAIL;
        }
        k = fread(b + n, 1, cap - n - 1, f);
        n += k;
    } while (k > 0);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        free(b);
        cli_error("%s: read failed", path);
        return CLI_FAIL;
    }
    b[n]  = '\0';
    *buf  = b;
    *size = n;
    return CLI_OK;
}

/* Where name is among names (the scan's order), or n when it is not there. */
static size_t name_index(char * const * names, size_t n, const char * name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return n;
}

/* Whether line, the first of path, is the header expected; prints why not. */
static bool header_matches(const char * path, const char * line, const struct shard_header * e) {
    struct shard_header h;
    char                why[512];
    char                a[17], b[17];
    if (!shard_header_parse(line, &h, why, sizeof why)) {
        cli_error("%s:1: %s", path, why);
        return false;
    }
    if (strcmp(h.version, e->version) != 0) {
        cli_error("%s:1: written by hfx %s, this is hfx %s: results of two versions are not mixed (compute it again, "
                  "or finish it with hfx %s)",
                  path, h.version, e->version, h.version);
        return false;
    }
    if (h.inputs != e->inputs || h.result != e->result || h.total != e->total) {
        rid_hex(h.inputs, a);
        rid_hex(e->inputs, b);
        cli_error("%s:1: the output of a scan of other inputs (identity %s, this scan's is %s): another background, "
                  "other patches or patch contents, or options that change the results (--test-poi, --calctype, "
                  "interpolation codes, ...)",
                  path, a, b);
        return false;
    }
    if (h.k != e->k || h.n != e->n) {
        cli_error("%s:1: shard %zu/%zu of this scan, not %zu/%zu", path, h.k, h.n, e->k, e->n);
        return false;
    }
    if (h.names != e->names || h.count != e->count) {
        cli_error("%s:1: a damaged identity line: its patches are not this shard's", path);
        return false;
    }
    return true;
}

int scan_file_resume(const char * path, const struct shard_header * expect, char * const * names, size_t n_names,
                     size_t * n_done, size_t * n_errors) {
    *n_done   = 0;
    *n_errors = 0;
    char * buf;
    size_t size;
    if (read_all(path, &buf, &size) != CLI_OK) {
        return CLI_FAIL;
    }
    size_t complete = 0; /* bytes up to the last newline */
    for (size_t i = size; i > 0; i--) {
        if (buf[i - 1] == '\n') {
            complete = i;
            break;
        }
    }
    int    rc   = CLI_OK;
    char * p    = buf;
    char * end  = buf + complete;
    size_t line = 0;
    if (complete > 0) {
        char * nl = memchr(p, '\n', (size_t) (end - p));
        *nl       = '\0';
        rc        = header_matches(path, p, expect) ? CLI_OK : CLI_FAIL;
        p         = nl + 1;
        line++;
    }
    while (rc == CLI_OK && p < end) {
        char * nl = memchr(p, '\n', (size_t) (end - p));
        *nl       = '\0';
        line++;
        bool   is_error = false;
        char * name     = NULL;
        char   why[512];
        if (*n_done >= n_names) {
            cli_error("%s:%zu: more lines than this part of the scan has patches (%zu)", path, line, n_names);
            rc = CLI_FAIL;
        } else if (!scan_line_check(p, expect->result, &name, &is_error, why, sizeof why)) {
            cli_error("%s:%zu: %s: a corrupt line (only a last line without its newline, cut short by an "
                      "interruption, is dropped)",
                      path, line, why);
            rc = CLI_FAIL;
        } else if (strcmp(name, names[*n_done]) != 0) {
            size_t at = name_index(names, n_names, name);
            if (at < *n_done) {
                cli_error("%s:%zu: patch '%s' again (its result is line %zu): a duplicate", path, line, name, at + 2);
            } else if (at < n_names) {
                cli_error("%s:%zu: patch '%s', where this scan has patch '%s': a gap (its result is missing)", path,
                          line, name, names[*n_done]);
            } else {
                cli_error("%s:%zu: patch '%s' is not one of this part of the scan's patches", path, line, name);
            }
            rc = CLI_FAIL;
        } else {
            ++*n_done;
            *n_errors += is_error;
        }
        free(name);
        p = nl + 1;
    }
    if (rc == CLI_OK && complete < size) {
        /* the last line cut short by an interruption: dropped, and written again */
        fprintf(stderr, "hfx: note: %s: dropped its incomplete last line (%zu bytes without a newline: what an "
                        "interruption leaves)\n", path, size - complete);
        if (truncate(path, (off_t) complete) != 0) {
            cli_error("%s: cannot cut off its incomplete last line: %s", path, strerror(errno));
            rc = CLI_FAIL;
        }
    }
    free(buf);
    return rc;
}
