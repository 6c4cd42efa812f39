/*
 * main.c -- the hfx command-line program: dispatches to the subcommands and prints the global help
 * and version.
 */
#include "cli.h"
#include "ranks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command_entry {
    const char * name;
    int (*run)(int argc, char ** argv);
    const char * summary;
    bool         ranks; /* shares its work over MPI ranks (else only rank 0 runs it) */
};

static const struct command_entry COMMANDS[] = {
    {"cls", cmd_cls, "CLs (observed and expected band) of one POI value, as 'pyhf cls'", true},
    {"fit", cmd_fit, "maximum likelihood fit: best-fit parameters, uncertainties, twice_nll", false},
    {"eval", cmd_eval, "twice_nll (and its gradient) at given parameter values", false},
    {"upper-limit", cmd_upper_limit, "observed and expected upper limits on the POI", true},
    {"scan", cmd_scan, "CLs of many signal patches on one background workspace, in parallel", true},
    {"merge", cmd_merge, "join the shards of a scan (hfx scan --shard K/N) into one output", false},
    {"toys", cmd_toys, "toys run in ranges: 'hfx toys merge' makes CLs from their statistics", false},
    {"inspect", cmd_inspect, "summary of a workspace, as 'pyhf inspect'", false},
    {"patchset", cmd_patchset, "inspect a patchset or apply one of its patches", false},
    {"xml2json", cmd_xml2json, "HistFactory XML + ROOT files to a pyhf workspace, as 'pyhf xml2json'", false},
    {"json2xml", cmd_json2xml, "a pyhf workspace to HistFactory XML + ROOT files, as 'pyhf json2xml'", false},
    {"convert", cmd_convert, "a model between pyhf JSON, HS3 JSON (ROOT) and HistFactory XML + ROOT files", false},
    {"backends", cmd_backends, "the backends compiled in, and whether each can run here", false},
    {"ranking", cmd_ranking, "impacts of the nuisance parameters on the POI, as cabinetry's ranking", false},
    {"profile-scan", cmd_profile_scan, "profile likelihood scan over one parameter or a grid of two", false},
    {"significance", cmd_significance, "discovery significance (p0 and Z, q0), as cabinetry's", false},
    {"combine", cmd_combine, "two workspaces combined into one, as 'pyhf combine'", false},
    {"digest", cmd_digest, "the digest (sha256, md5, sha1) of a workspace, as 'pyhf digest'", false},
    {"prune", cmd_prune, "a workspace without some channels, samples, modifiers, ..., as 'pyhf prune'", false},
    {"rename", cmd_rename, "a workspace with channels, samples, modifiers, ... renamed, as 'pyhf rename'", false},
    {"sort", cmd_sort, "a workspace sorted by name, as 'pyhf sort'", false},
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static void print_version(void) {
    printf("hfx %s (pyhf 0.7.6 compatible; backends:", HFX_CLI_VERSION);
    for (size_t i = 0; i < hfx_backend_count(); i++) {
        printf(" %s", hfx_backend_name(i));
    }
    const char * transport = ranks_transport();
    printf("; %s)\n", transport ? transport : "no MPI");
}

/* What to cite for results made with hfx (pyhf's --citation/--cite): hfx computes pyhf 0.7.6's statistical
 * model and its inference, so pyhf's own entries come first (as `pyhf --citation` prints them), then hfx's. */
static const char CITATION[] =
    "@software{pyhf,\n"
    "  author = {Lukas Heinrich and Matthew Feickert and Giordon Stark},\n"
    "  title = \"{pyhf: v0.7.6}\",\n"
    "  version = {0.7.6},\n"
    "  doi = {10.5281/zenodo.1169739},\n"
    "  url = {https://doi.org/10.5281/zenodo.1169739},\n"
    "  note = {https://github.com/scikit-hep/pyhf/releases/tag/v0.7.6}\n"
    "}\n"
    "\n"
    "@article{pyhf_joss,\n"
    "  doi = {10.21105/joss.02823},\n"
    "  url = {https://doi.org/10.21105/joss.02823},\n"
    "  year = {2021},\n"
    "  publisher = {The Open Journal},\n"
    "  volume = {6},\n"
    "  number = {58},\n"
    "  pages = {2823},\n"
    "  author = {Lukas Heinrich and Matthew Feickert and Giordon Stark and Kyle Cranmer},\n"
    "  title = {pyhf: pure-Python implementation of HistFactory statistical models},\n"
    "  journal = {Journal of Open Source Software}\n"
    "}\n"
    "\n"
    "@software{hfx,\n"
    "  title = \"{hfx: v" HFX_CLI_VERSION "}\",\n"
    "  version = {" HFX_CLI_VERSION "},\n"
    "  note = {HistFactory fits on CPUs and GPUs with pyhf 0.7.6's model and numbers}\n"
    "}\n";

static void print_usage(FILE * f) {
    fprintf(f, "usage: hfx [--version] [--citation] [--help] COMMAND [ARGS...]\n\n"
           "Fast HistFactory likelihood fits reproducing pyhf 0.7.6.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-12s  %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    }
    fprintf(f, "\nRun 'hfx COMMAND --help' for the options of a command; 'hfx --citation' prints what to cite\n"
           "(pyhf's BibTeX entries, whose model hfx computes, then hfx's).\n"
           "Results are JSON on standard output; errors are one line on standard error.\n"
           "Exit status: 0 success, 1 input or model error, 2 usage error.\n");
}

static int run(int argc, char ** argv) {
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char * name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        print_version();
        return CLI_OK;
    }
    if (strcmp(name, "--citation") == 0 || strcmp(name, "--cite") == 0) {
        fputs(CITATION, stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (strcmp(name, "help") == 0 && argc > 2) {
            char   help[] = "--help";
            char * sub[]  = {argv[0], argv[2], help, NULL};
            return run(3, sub);
        }
        print_usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(name, COMMANDS[i].name) == 0) {
            /* the long commands stop cleanly on SIGINT/SIGTERM (interrupt.c), exit status 128 + signal;
             * not under MPI, where a rank that stopped alone would leave the others waiting for it:
             * there the signal ends the ranks (a scan's lines stay whole, --resume continues) */
            struct ranks rk;
            ranks_get(&rk);
            bool long_cmd = (COMMANDS[i].ranks || strcmp(name, "toys") == 0) && rk.size == 1;
            if (long_cmd) {
                cli_interrupt_install();
            }
            /* one copy of a command that does not share its work is enough (and writes its files once) */
            int rc = COMMANDS[i].ranks || ranks_is_root() ? COMMANDS[i].run(argc - 1, argv + 1) : CLI_OK;
            return long_cmd && cli_interrupted() ? 128 + cli_interrupted() : rc;
        }
    }
    if (name[0] == '-') {
        return cli_usage_error(NULL, "unknown option '%s'", name);
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

//
// Several MPI ranks: one output, each error once
//

/* A rank other than 0, about to be aborted: its recorded errors, named by rank (rank 0's were printed). */
static void print_recorded(void) {
    struct ranks r;
    ranks_get(&r);
    char * text = cli_errors_take();
    for (char * line = text, * end; line && (end = strchr(line, '\n')); line = end + 1) {
        fprintf(stderr, "hfx: error: rank %d: %.*s\n", r.rank, (int) (end - line), line);
    }
    free(text);
}

/* Whether line (up to its newline) is one of the lines of seen. */
static bool seen_line(const char * seen, const char * line, size_t n) {
    for (const char * s = seen, * end; s && (end = strchr(s, '\n')); s = end + 1) {
        if ((size_t) (end - s) == n && memcmp(s, line, n) == 0) {
            return true;
        }
    }
    return false;
}

/* text (malloc'd or NULL) with line (n bytes) and a newline appended; text as it was when out of memory. */
static char * append_line(char * text, const char * line, size_t n) {
    size_t m     = text ? strlen(text) : 0;
    char * grown = malloc(m + n + 2);
    if (!grown) {
        return text;
    }
    memcpy(grown, text ? text : "", m);
    memcpy(grown + m, line, n);
    grown[m + n]     = '\n';
    grown[m + n + 1] = '\0';
    free(text);
    return grown;
}

enum { TAG_ERRORS = 90 };

/* Every rank, at the end: rank 0 has printed its own error lines as they came; it now prints those of
 * the other ranks that it did not print itself, once each, named by rank (a workspace missing on
 * every node is one line; a file missing on one node says where). Every rank returns the worst exit
 * status, so that mpirun's is that too. */
static int report_ranks(int rc) {
    struct ranks r;
    ranks_get(&r);
    char *   mine = cli_errors_take();
    uint64_t len  = mine ? strlen(mine) : 0;
    ranks_all_ok(true); /* the ranks done first wait here asleep */
    int       worst = ranks_max_int(rc);
    uint64_t * lens  = r.rank == 0 ? calloc((size_t) r.size, sizeof *lens) : NULL;
    if ((r.rank == 0 && !lens) || !ranks_gather_bytes(&len, sizeof len, lens)) {
        ranks_abort(CLI_FAIL);
    }
    if (r.rank != 0 && len > 0 && !ranks_send(0, TAG_ERRORS, mine, len)) {
        ranks_abort(CLI_FAIL);
    }
    for (int k = 1; r.rank == 0 && k < r.size; k++) {
        char * text = lens[k] ? malloc(lens[k] + 1) : NULL;
        if (lens[k] && (!text || !ranks_recv(k, TAG_ERRORS, text, lens[k]))) {
            ranks_abort(CLI_FAIL);
        }
        for (size_t at = 0; text && at < lens[k];) {
            char * line = text + at, * end = memchr(line, '\n', lens[k] - at);
            size_t n    = end ? (size_t) (end - line) : lens[k] - at;
            if (!seen_line(mine, line, n)) {
                fprintf(stderr, "hfx: error: rank %d: %.*s\n", k, (int) n, line);
                mine = append_line(mine, line, n);
            }
            at += n + 1;
        }
        free(text);
    }
    free(lens);
    free(mine);
    return worst;
}

/* Under an MPI launcher every rank runs the same command; scan, cls and upper-limit share the work
 * (ranks.h), the others run on rank 0 alone. Rank 0 prints: the other ranks' standard output goes
 * nowhere (a --help, say, is printed once) and their errors reach rank 0 (report_ranks). */
int main(int argc, char ** argv) {
    ranks_init(&argc, &argv);
    struct ranks r;
    ranks_get(&r);
    if (r.size > 1) {
        cli_errors_record(r.rank == 0);
        if (r.rank != 0) {
            ranks_set_abort_hook(print_recorded);
            if (!freopen("/dev/null", "w", stdout)) {
                fclose(stdout);
            }
        }
    }
    int rc = run(argc, argv);
    if (r.size > 1) {
        fflush(stdout);
        rc = report_ranks(rc);
    }
    ranks_finalize();
    return rc;
}
