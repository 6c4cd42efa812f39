/*
 * fuzz-results.c -- libFuzzer harness for the readers of the files hfx writes to be continued or
 * joined (docs/robustness.md, "Result files"): a scan's shard given to hfx merge, a scan's --output
 * file read back by --resume (scan_file_resume) and a toys file given to hfx toys merge, through the
 * CLI's own code (tools/hfx, linked in without its main). The first byte picks the reader, the rest
 * is the file. Each must end with exit status 0 or 1 (an error line printed), never a crash, a leak,
 * undefined behaviour or a hang; the seeds are the reproducers of tests/data/hostile/results-*.
 */
#include "cli.h"
#include "scan-file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_merge(int argc, char ** argv);
int cmd_toys(int argc, char ** argv);

/* The patches of the reproducers' scan (tests/tools/gen_hostile_results.py). */
static char * NAMES[] = {"sig_100", "sig_200", "sig_300", "sig_400", "sig_500", "sig_600"};

static char path[64];

static void write_file(const uint8_t * data, size_t size) {
    FILE * f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        abort();
    }
}

/* --resume of the file: the identity expected is the file's own where it has one (so that the lines
 * behind it are read), the patches those of its shard of the six. */
static int resume(const uint8_t * data, size_t size) {
    struct shard_header h = {.k = 1, .n = 1, .count = 6, .total = 6};
    snprintf(h.version, sizeof h.version, "%s", HFX_CLI_VERSION);
    const uint8_t * nl = memchr(data, '\n', size);
    char *          first = nl ? strndup((const char *) data, (size_t) (nl - data)) : NULL;
    char            why[512];
    struct shard_header file;
    if (first && !memchr(data, '\0', (size_t) (nl - data)) && shard_header_parse(first, &file, why, sizeof why) &&
        file.total == 6) {
        h = file;
    }
    free(first);
    char * names[6];
    size_t n = 0;
    for (size_t i = h.k - 1; i < 6 && n < 6; i += h.n) {
        names[n++] = NAMES[i];
    }
    size_t done = 0, errors = 0;
    return scan_file_resume(path, &h, names, n, &done, &errors);
}

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz-results-%ld.jsonl", (long) getpid());
        cli_errors_record(false); /* error lines kept, not printed (10^5 of them): checked below */
    }
    if (size < 1) {
        return 0;
    }
    write_file(data + 1, size - 1);
    char   out[] = "/dev/null";
    char   o[]   = "-o";
    char   merge[] = "merge", toys[] = "toys";
    int    rc;
    switch (data[0] % 3) {
    case 0: {
        char * argv[] = {merge, path, o, out, NULL};
        rc            = cmd_merge(4, argv);
        break;
    }
    case 1: rc = resume(data + 1, size - 1); break;
    default: {
        char * argv[] = {toys, merge, path, o, out, NULL};
        rc            = cmd_toys(5, argv);
        break;
    }
    }
    /* exit status 0, or 1 with its one-line error (each recorded line ends with its newline) */
    char * errors = cli_errors_take();
    if ((rc != CLI_OK && rc != CLI_FAIL) || (rc == CLI_FAIL && (!errors || !errors[0]))) {
        abort();
    }
    free(errors);
    return 0;
}
