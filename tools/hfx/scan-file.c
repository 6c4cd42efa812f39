/*
 * scan-file.c -- whole-line output, shard headers and reading back an interrupted scan's file
 * (scan-file.h).
 */
#include "scan-file.h"

#include "cli.h"
#include "progress.h"

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

char * shard_header_line(const struct shard_header * h) {
    char buf[256];
    snprintf(buf, sizeof buf, "{\"shard\": \"%zu/%zu\", \"patches\": %zu, \"patches_total\": %zu, \"scan\": \"%016" PRIx64 "\"}\n",
             h->k, h->n, h->count, h->total, h->id);
    return strdup(buf);
}

bool shard_header_parse(const char * line, struct shard_header * out) {
    json_error_t jerr;
    json_t *     j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    const char * shard = NULL, * id = NULL;
    json_int_t   count = -1, total = -1;
    if (!j || json_unpack(j, "{s:s, s:I, s:I, s:s}", "shard", &shard, "patches", &count, "patches_total", &total,
                          "scan", &id) != 0) {
        json_decref(j);
        return false;
    }
    char   tail = 0;
    size_t k = 0, n = 0;
    char * end  = NULL;
    bool   ok   = sscanf(shard, "%zu/%zu%c", &k, &n, &tail) == 2 && k >= 1 && k <= n && count >= 0 && total >= 0 &&
              strlen(id) == 16;
    uint64_t v = ok ? strtoull(id, &end, 16) : 0;
    ok         = ok && end && *end == '\0';
    if (ok) {
        *out = (struct shard_header){.k = k, .n = n, .count = (size_t) count, .total = (size_t) total, .id = v};
    }
    json_decref(j);
    return ok;
}

//
// Lines
//

char * scan_line_prefix(const char * name) {
    json_t * s   = json_string(name);
    char *   enc = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    size_t   n   = enc ? strlen(enc) + 16 : 0;
    char *   out = enc ? malloc(n) : NULL;
    if (out) {
        snprintf(out, n, "{\"patch\": %s", enc);
    }
    free(enc);
    json_decref(s);
    return out;
}

bool scan_line_is_error(const char * line, size_t prefix_len) {
    return strncmp(line + prefix_len, ", \"error\": ", 11) == 0;
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
        if (n + 65536 + 1 > cap) {
            cap     = 2 * cap + 65536 + 1;
            char * t = realloc(b, cap);
            if (!t) {
                free(b);
                fclose(f);
                cli_error("out of memory");
                return CLI_FAIL;
            }
            b = t;
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

/* Checks one complete line (NUL-terminated, without its newline) as the output of name. */
static bool line_matches(const char * line, const char * name, bool * is_error) {
    char * prefix = scan_line_prefix(name);
    size_t n      = prefix ? strlen(prefix) : 0;
    size_t len    = strlen(line);
    bool   ok     = prefix && len > n && strncmp(line, prefix, n) == 0 && (line[n] == ',' || line[n] == '}') &&
              line[len - 1] == '}';
    *is_error = ok && scan_line_is_error(line, n);
    free(prefix);
    return ok;
}

int scan_file_resume(const char * path, const char * header, char * const * names, size_t n_names,
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
    if (header && complete > 0) {
        size_t hn = strlen(header);
        if ((size_t) (end - p) < hn || strncmp(p, header, hn) != 0) {
            char * nl = memchr(p, '\n', (size_t) (end - p));
            *nl       = '\0';
            cli_error("%s:1: not the output of this shard of this scan: its header is %s, this scan's is %.*s "
                      "(other patches, options or shard)",
                      path, p, (int) (hn - 1), header);
            rc = CLI_FAIL;
        }
        p += hn;
        line++;
    }
    while (rc == CLI_OK && p < end) {
        char * nl = memchr(p, '\n', (size_t) (end - p));
        *nl       = '\0';
        line++;
        bool is_error = false;
        if (*n_done >= n_names) {
            cli_error("%s:%zu: more lines than this scan has patches (%zu): not the output of this scan", path, line,
                      n_names);
            rc = CLI_FAIL;
        } else if (!line_matches(p, names[*n_done], &is_error)) {
            cli_error("%s:%zu: not the output line of patch '%s', which this scan has here: not the output of this "
                      "scan (other patches or order)",
                      path, line, names[*n_done]);
            rc = CLI_FAIL;
        } else {
            ++*n_done;
            *n_errors += is_error;
        }
        p = nl + 1;
    }
    if (rc == CLI_OK && complete < size) {
        /* a line cut short by the interruption: it is written again */
        if (truncate(path, (off_t) complete) != 0) {
            cli_error("%s: cannot cut off its incomplete last line: %s", path, strerror(errno));
            rc = CLI_FAIL;
        }
    }
    free(buf);
    return rc;
}
