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

/* A shard's header: {"shard": "K/N", "patches": count, "patches_total": total, "scan": "id"}. */
struct shard_header {
    size_t   k, n;         /* this is part k (1-based) of n */
    size_t   count, total; /* patches in this part, in the whole scan */
    uint64_t id;           /* the scan's identity (its patches and result-changing options) */
};
/* Patches of part k of n of a scan of total: items k-1, k-1+n, k-1+2n, ... */
size_t shard_count(size_t k, size_t n, size_t total);
/* The header line (with its newline), malloc'd; NULL when out of memory. */
char * shard_header_line(const struct shard_header * h);
/* Parses a header line (without its newline); false when it is not one. */
bool   shard_header_parse(const char * line, struct shard_header * out);

/* The start of patch name's output line, {"patch": "<name JSON-escaped>", malloc'd: how a line
 * is recognised as that patch's. */
char * scan_line_prefix(const char * name);
/* Whether a line (starting with its patch's prefix of length prefix_len) is an error line. */
bool   scan_line_is_error(const char * line, size_t prefix_len);

/* What an interrupted run of this scan left in path: header (NULL when a shard was not asked for)
 * then lines for names[0], names[1], ... in order. A trailing partial line is cut off the file.
 * Sets *n_done (complete lines) and *n_errors (error lines among them); a missing file is an empty
 * one. Prints what does not match (a file of another scan) and returns CLI_FAIL; else CLI_OK. */
int scan_file_resume(const char * path, const char * header, char * const * names, size_t n_names,
                     size_t * n_done, size_t * n_errors);

#endif /* HFX_SCAN_FILE_H */
