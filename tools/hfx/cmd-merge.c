/*
 * cmd-merge.c -- "hfx merge PART...": the shards of one scan (hfx scan --shard K/N) put back into the
 * output of a single run, line for line. Every part is checked first: all from the same scan (the
 * header's scan identity and patch count), each shard exactly once, none missing, each complete;
 * anything else is refused with a message naming the parts. Lines are copied as they are.
 */
#include "options.h"
#include "scan-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt * MERGE_TABLES[] = {output_opt_table, cli_help_table, NULL};
static const char * const     MERGE_POS[]    = {"PART", NULL};

static const struct cli_command MERGE = {
    "merge",
    "merge PART... [-o FILE]",
    "Joins the parts of a scan run as 'hfx scan ... --shard K/N' (each part's output, header line\n"
    "first) into the output of one 'hfx scan' run: one line per patch in input order. Refuses parts\n"
    "of different scans, a shard given twice, missing shards and incomplete parts, naming them. The\n"
    "exit status is 1 when a patch has an error line (as for hfx scan), 0 otherwise.",
    MERGE_TABLES,
    MERGE_POS,
    true,
};

struct part {
    const char *        path;
    struct shard_header h;
    char *              text;  /* the whole file */
    char **             lines; /* [h.count] pointers into text, each ending with its newline */
};

/* Reads a part: its header and its lines. Prints errors. */
static int read_part(struct part * p) {
    FILE * f = fopen(p->path, "rb");
    if (!f) {
        cli_error("%s: cannot read: %s", p->path, strerror(errno));
        return CLI_FAIL;
    }
    size_t cap = 1 << 16, n = 0, k;
    p->text    = malloc(cap);
    while (p->text && (k = fread(p->text + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        char * t = n + 1 >= cap ? realloc(p->text, cap *= 2) : p->text;
        if (!t) {
            free(p->text);
        }
        p->text = t;
    }
    fclose(f);
    if (!p->text) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    p->text[n] = '\0';
    char * nl  = strchr(p->text, '\n');
    if (nl) {
        *nl = '\0';
    }
    bool header = nl && shard_header_parse(p->text, &p->h);
    if (nl) {
        *nl = '\n';
    }
    if (!header) {
        cli_error("%s:1: not a part of a sharded scan (its first line is not the header that 'hfx scan --shard K/N' "
                  "writes)",
                  p->path);
        return CLI_FAIL;
    }
    p->lines     = malloc((p->h.count + 1) * sizeof *p->lines);
    size_t found = 0;
    char * s     = nl + 1;
    while (p->lines && *s && found <= p->h.count) {
        char * e = strchr(s, '\n');
        if (!e) {
            break; /* a partial last line: the part is incomplete */
        }
        if (found < p->h.count) {
            p->lines[found] = s;
        }
        found++;
        s = e + 1;
    }
    if (!p->lines) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    if (found != p->h.count) {
        cli_error("%s: shard %zu/%zu is %s: %zu of its %zu patches%s", p->path, p->h.k, p->h.n,
                  found < p->h.count ? "incomplete" : "longer than its header says", found, p->h.count,
                  found < p->h.count ? " (finish it with the same hfx scan command and --output FILE --resume)" : "");
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Every shard of one scan, exactly once. Prints what is wrong. */
static int check_parts(struct part * parts, size_t n_parts, struct part ** by_k) {
    const struct part * first = &parts[0];
    for (size_t i = 0; i < n_parts; i++) {
        const struct part * p = &parts[i];
        if (p->h.id != first->h.id || p->h.total != first->h.total || p->h.n != first->h.n) {
            cli_error("%s and %s are parts of different scans (other patches, options or number of shards: %zu/%zu "
                      "of %zu patches vs %zu/%zu of %zu)",
                      first->path, p->path, first->h.k, first->h.n, first->h.total, p->h.k, p->h.n, p->h.total);
            return CLI_FAIL;
        }
        if (p->h.count != shard_count(p->h.k, p->h.n, p->h.total)) {
            cli_error("%s:1: shard %zu/%zu of %zu patches has %zu, not %zu: a damaged header", p->path, p->h.k, p->h.n,
                      p->h.total, shard_count(p->h.k, p->h.n, p->h.total), p->h.count);
            return CLI_FAIL;
        }
        if (by_k[p->h.k - 1]) {
            cli_error("%s and %s are both shard %zu/%zu (overlapping parts)", by_k[p->h.k - 1]->path, p->path, p->h.k,
                      p->h.n);
            return CLI_FAIL;
        }
        by_k[p->h.k - 1] = &parts[i];
    }
    char   missing[512] = "";
    size_t n_missing = 0, len = 0;
    for (size_t k = 1; k <= first->h.n; k++) {
        if (!by_k[k - 1]) {
            if (n_missing++ < 10 && len < sizeof missing) {
                int w = snprintf(missing + len, sizeof missing - len, "%s%zu/%zu", n_missing > 1 ? ", " : "", k,
                                 first->h.n);
                len += w > 0 ? (size_t) w : 0;
            }
        }
    }
    if (n_missing) {
        cli_error("missing part%s: shard %s%s (%zu of %zu parts given)", n_missing > 1 ? "s" : "", missing,
                  n_missing > 10 ? ", ..." : "", first->h.n - n_missing, first->h.n);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int merge_parts(struct part * parts, size_t n_parts, const char * output) {
    for (size_t i = 0; i < n_parts; i++) {
        if (read_part(&parts[i]) != CLI_OK) {
            return CLI_FAIL;
        }
    }
    size_t         n    = parts[0].h.n;
    struct part ** by_k = calloc(n, sizeof *by_k);
    if (!by_k) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int rc = check_parts(parts, n_parts, by_k);
    struct line_out out;
    if (rc == CLI_OK) {
        rc = line_out_open(&out, output, false);
    }
    size_t failed = 0;
    for (size_t i = 0; rc == CLI_OK && i < parts[0].h.total; i++) {
        const char * line = by_k[i % n]->lines[i / n];
        const char * end  = strchr(line, '\n');
        /* an error line is {"patch": "...", "error": ...}: the name's closing quote, then the key */
        const char * name_end = strstr(line, "\", \"");
        failed += name_end && strncmp(name_end + 1, ", \"error\": ", 11) == 0;
        if (!line_out_write(&out, line, (size_t) (end - line) + 1)) {
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK) {
        rc = line_out_close(&out);
    }
    free(by_k);
    return rc == CLI_OK && failed ? CLI_FAIL : rc;
}

int cmd_merge(int argc, char ** argv) {
    struct cli_parsed args;
    int               rc = cli_parse_command(&MERGE, argc, argv, NULL, NULL, NULL, NULL, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    struct part * parts = calloc(args.n_pos, sizeof *parts);
    if (!parts) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    }
    for (size_t i = 0; parts && i < args.n_pos; i++) {
        parts[i].path = args.pos[i];
    }
    if (parts) {
        rc = merge_parts(parts, args.n_pos, args.output_file);
        for (size_t i = 0; i < args.n_pos; i++) {
            free(parts[i].text);
            free(parts[i].lines);
        }
    }
    free(parts);
    free(args.pos);
    return rc;
}
