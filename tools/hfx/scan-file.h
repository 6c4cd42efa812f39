/*
 * scan-file.h -- the output of hfx scan as something that survives interruption and splits into
 * parts: lines written only whole (one write call each, files synced at most once a second and at
 * the end), the header line that starts a shard's output and that hfx merge reads, and reading back
 * what an interrupted run left in its --output file (--resume).
 *
 * A scan's output is one line per patch in input order, so an interrupted file is always the first
 * lines of that output, plus at most one partial line (cut off on resume).
 */
#ifndef HFX_SCAN_FILE_H
#define HFX_SCAN_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* Where the lines go: standard output or a file. */
struct line_out {
    int          fd;
    const char * name;      /* for messages: the path or "standard output" */
    bool         is_file;
    double       last_sync; /* progress_now() of the last fdatasync */
};

/* Opens path for writing (append: after what is there; else truncated), or standard output when
 * path is NULL. Prints errors; returns CLI_OK or CLI_FAIL. */
int  line_out_open(struct line_out * o, const char * path, bool append);
/* Writes n bytes (whole lines) in one go, retrying short writes; false after printing an error. */
bool line_out_write(struct line_out * o, const char * buf, size_t n);
/* Syncs and closes a file (standard output is left open). Prints errors; CLI_OK or CLI_FAIL. */
int  line_out_close(struct line_out * o);

/* What a scan's lines hold: {"patch", "CLs_obs", "CLs_exp"} (+ "toys_failed" when toy-based) or
 * {"patch", "obs", "exp"} (--upper-limit); {"patch", "error"} for a patch that failed. */
enum scan_result { SCAN_RESULT_CLS, SCAN_RESULT_CLS_TOYS, SCAN_RESULT_UPPER_LIMIT };

/* The identity line that starts a scan's --output file and each shard (format 2):
 * {"hfx_scan": 2, "version": V, "result": R, "inputs": I, "shard": "K/N", "patches": count,
 *  "patches_total": total, "names": D}: the hfx that wrote it, what its lines hold, the digest of the
 * scan's inputs (result-id.c: background and patch contents, patch names in order, options), which
 * part of the patch list it holds and the digest of that part's patch names in order. */
struct shard_header {
    size_t           k, n;         /* this is part k (1-based) of n */
    size_t           count, total; /* patches in this part, in the whole scan */
    uint64_t         inputs;       /* the scan's identity */
    uint64_t         names;        /* names_digest of this part's patches */
    enum scan_result result;
    char             version[32];
};
/* Patches of part k of n of a scan of total: items k-1, k-1+n, k-1+2n, ... */
size_t   shard_count(size_t k, size_t n, size_t total);
/* The header line (with its newline), malloc'd; NULL when out of memory. */
char *   shard_header_line(const struct shard_header * h);
/* Parses a header line (without its newline); false with why filled (for "PATH:1: <why>") when it
 * is not one: a result line or an earlier hfx's header (written before identities), another
 * format, a damaged field, a count beyond HFX_COUNT_MAX. */
bool     shard_header_parse(const char * line, struct shard_header * out, char * why, size_t cap);
/* The digest of patch names in order (what "names" holds). */
uint64_t names_digest(const char * const * names, size_t n);
/* "cls", "cls_toys", "upper_limit". */
const char * scan_result_name(enum scan_result r);

/* Checks a complete line (NUL-terminated, without its newline) as a result of kind: a JSON object
 * with a "patch" string and either an "error" string or every value of a result. Sets *name
 * (malloc'd; the caller frees it) and *is_error; false with why filled otherwise. */
bool scan_line_check(const char * line, enum scan_result kind, char ** name, bool * is_error, char * why,
                     size_t cap);

//
// Identity digests (result-id.c)
//

struct model_opts;
void rid_init(uint64_t * h);
void rid_bytes(uint64_t * h, const void * data, size_t n);
void rid_str(uint64_t * h, const char * s);
void rid_num(uint64_t * h, double x);
void rid_int(uint64_t * h, uint64_t x);
/* The contents of a file (its bytes). Prints errors; CLI_OK or CLI_FAIL. */
int  rid_file(uint64_t * h, const char * path);
/* The model's inputs: workspace and -p patch (or patchset) contents, model and fit options. */
int  rid_model(uint64_t * h, const struct model_opts * mo);
struct hfx_hypotest_options;
/* The hypotest's options (n_toys only when with_n_toys: a toys file's range is not its identity). */
void rid_hypotest(uint64_t * h, const struct hfx_hypotest_options * o, bool with_n_toys);
void rid_hex(uint64_t h, char out[17]);

/* What an interrupted run of this scan left in path: the header expect, then complete results of
 * names[0], names[1], ... in order. A trailing partial line (no newline: what a kill leaves) is cut
 * off the file, with a note; any other line that is not the complete result of its patch is
 * refused. Sets *n_done (complete lines) and *n_errors (error lines among them); a missing or
 * empty file is an empty one. Prints what does not match, naming file and line (another scan's
 * file, an earlier hfx's, a corrupt line, a duplicate, a gap) and returns CLI_FAIL; else CLI_OK. */
int scan_file_resume(const char * path, const struct shard_header * expect, char * const * names, size_t n_names,
                     size_t * n_done, size_t * n_errors);

#endif /* HFX_SCAN_FILE_H */
