/*
 * cmd-merge.c -- "hfx merge PART...": the shards of one scan (hfx scan --shard K/N) put back into the
 * output of a single run, line for line. Every part is checked first: all from the same scan (the
 * identity line's hfx version, inputs digest and patch counts), each shard exactly once, none
 * missing, each complete, every line a complete result, no patch twice, each part's lines the
 * patches its identity line names; anything else is refused with a message naming the part (and
 * line), and nothing is written. Lines are copied as they are. A scan's --output file is shard 1/1:
 * merging it alone gives the plain output.
 */
#include "array.h"
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
    char **             lines; /* [n_lines] pointers into text, each ending with its newline */
    char **             names; /* [n_lines] the patch of each line, malloc'd */
    size_t              n_lines;
    size_t              n_errors; /* lines of a patch that failed */
};

/* Reads a part: its header and its lines, each checked as a complete result of the header's kind.
 * The header's counts size nothing: lines are counted as they come. Prints errors. */
static int read_part(struct part * p) {
    FILE * f = fopen(p->path, "rb");
    if (!f) {
        cli_error("%s: cannot read: %s", p->path, strerror(errno));
        return CLI_FAIL;
    }
    size_t cap = 0, n = 0, k;
    bool   room;
    /* room for at least one more byte and the terminating NUL before each read */
    while ((room = CLI_ARRAY_RESERVE(p->text, cap, n + 2, 1 << 16)) &&
           (k = fread(p->text + n, 1, cap - n - 1, f)) > 0) {
        n += k;
    }
    fclose(f);
    if (!room) {
        free(p->text);
        p->text = NULL;
        cli_error("out of memory");
        return CLI_FAIL;
    }
    p->text[n] = '\0';
    char * nl  = strchr(p->text, '\n');
    char   why[512] = "an empty file";
    if (nl) {
        *nl = '\0';
    }
    bool header = nl && shard_header_parse(p->text, &p->h, why, sizeof why);
    if (nl) {
        *nl = '\n';
    }
    if (!header) {
        cli_error("%s:1: not a part of a sharded scan: %s", p->path, why);
        return CLI_FAIL;
    }
    size_t lines_cap = 0, names_cap = 0;
    char * s         = nl + 1;
    while (*s) {
        char * e = strchr(s, '\n');
        if (!e) {
            break; /* a partial last line: the part is incomplete */
        }
        if (!CLI_ARRAY_RESERVE(p->lines, lines_cap, p->n_lines + 1, 64) ||
            !CLI_ARRAY_RESERVE(p->names, names_cap, p->n_lines + 1, 64)) {
            cli_error("out of memory");
            return CLI_FAIL;
        }
        *e            = '\0';
        bool is_error = false;
        bool ok       = scan_line_check(s, p->h.result, &p->names[p->n_lines], &is_error, why, sizeof why);
        *e            = '\n';
        if (!ok) {
            cli_error("%s:%zu: %s", p->path, p->n_lines + 2, why);
            return CLI_FAIL;
        }
        p->n_errors += is_error;
        p->lines[p->n_lines++] = s;
        s                      = e + 1;
    }
    if (p->n_lines != p->h.count) {
        cli_error("%s: shard %zu/%zu is %s: %zu of its %zu patches%s", p->path, p->h.k, p->h.n,
                  p->n_lines < p->h.count ? "incomplete" : "longer than its header says", p->n_lines, p->h.count,
                  p->n_lines < p->h.count ? " (finish it with the same hfx scan command and --output FILE --resume)"
                                          : "");
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* A line of a part, for finding duplicates. */
struct line_ref {
    const char *        name;
    const struct part * part;
    size_t              line; /* 1-based, the header being line 1 */
};

static int cmp_line_ref(const void * a, const void * b) {
    const struct line_ref * x = a, * y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0) {
        c = (x->part > y->part) - (x->part < y->part);
    }
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* No patch twice among the parts, and each part's lines the patches its header names. Prints. */
static int check_lines(struct part * parts, size_t n_parts, size_t total) {
    struct line_ref * refs = malloc((total + 1) * sizeof *refs);
    if (!refs) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t m = 0;
    for (size_t i = 0; i < n_parts; i++) {
        for (size_t j = 0; j < parts[i].n_lines; j++) {
            refs[m++] = (struct line_ref){parts[i].names[j], &parts[i], j + 2};
        }
    }
    qsort(refs, m, sizeof *refs, cmp_line_ref);
    int rc = CLI_OK;
    for (size_t i = 1; i < m && rc == CLI_OK; i++) {
        if (strcmp(refs[i - 1].name, refs[i].name) == 0) {
            cli_error("%s:%zu and %s:%zu both hold patch '%s': a duplicate (and so another patch's result is missing)",
                      refs[i - 1].part->path, refs[i - 1].line, refs[i].part->path, refs[i].line, refs[i].name);
            rc = CLI_FAIL;
        }
    }
    free(refs);
    for (size_t i = 0; i < n_parts && rc == CLI_OK; i++) {
        if (names_digest((const char * const *) parts[i].names, parts[i].n_lines) != parts[i].h.names) {
            cli_error("%s: its lines are not the patches its identity line names (a line replaced by another "
                      "patch's, or lines reordered)",
                      parts[i].path);
            rc = CLI_FAIL;
        }
    }
    return rc;
}

/* Every shard of one scan, exactly once. Prints what is wrong. */
static int check_parts(struct part * parts, size_t n_parts, struct part ** by_k) {
    const struct part * first = &parts[0];
    for (size_t i = 0; i < n_parts; i++) {
        const struct part * p = &parts[i];
        if (strcmp(p->h.version, first->h.version) != 0) {
            cli_error("%s and %s were written by different versions of hfx (%s, %s): results of two versions are not "
                      "mixed",
                      first->path, p->path, first->h.version, p->h.version);
            return CLI_FAIL;
        }
        if (p->h.inputs != first->h.inputs || p->h.result != first->h.result || p->h.total != first->h.total ||
            p->h.n != first->h.n) {
            cli_error("%s and %s are parts of different scans (another background, other patches or patch contents, "
                      "options or number of shards: %zu/%zu of %zu patches vs %zu/%zu of %zu)",
                      first->path, p->path, first->h.k, first->h.n, first->h.total, p->h.k, p->h.n, p->h.total);
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
    return check_lines(parts, n_parts, first->h.total);
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
    for (size_t i = 0; i < n_parts; i++) {
        failed += parts[i].n_errors;
    }
    for (size_t i = 0; rc == CLI_OK && i < parts[0].h.total; i++) {
        const char * line = by_k[i % n]->lines[i / n];
        const char * end  = strchr(line, '\n');
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
            for (size_t j = 0; j < parts[i].n_lines; j++) {
                free(parts[i].names[j]);
            }
            free(parts[i].names);
            free(parts[i].text);
            free(parts[i].lines);
        }
    }
    free(parts);
    free(args.pos);
    return rc;
}
