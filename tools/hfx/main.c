/*
 * main.c -- the hfx command-line program: dispatches to the subcommands and prints the global help
 * and version.
 */
#include "cli.h"
#include "ranks.h"

#include <stdio.h>
#include <string.h>

struct command_entry {
    const char * name;
    int (*run)(int argc, char ** argv);
    const char * summary;
};

static const struct command_entry COMMANDS[] = {
    {"cls", cmd_cls, "CLs (observed and expected band) of one POI value, as 'pyhf cls'"},
    {"fit", cmd_fit, "maximum likelihood fit: best-fit parameters, uncertainties, twice_nll"},
    {"eval", cmd_eval, "twice_nll (and its gradient) at given parameter values"},
    {"upper-limit", cmd_upper_limit, "observed and expected upper limits on the POI"},
    {"scan", cmd_scan, "CLs of many signal patches on one background workspace, in parallel"},
    {"merge", cmd_merge, "join the shards of a scan (hfx scan --shard K/N) into one output"},
    {"toys", cmd_toys, "toys run in ranges: 'hfx toys merge' makes CLs from their statistics"},
    {"inspect", cmd_inspect, "summary of a workspace, as 'pyhf inspect'"},
    {"patchset", cmd_patchset, "inspect a patchset or apply one of its patches"},
    {"xml2json", cmd_xml2json, "HistFactory XML + ROOT files to a pyhf workspace, as 'pyhf xml2json'"},
    {"json2xml", cmd_json2xml, "a pyhf workspace to HistFactory XML + ROOT files, as 'pyhf json2xml'"},
    {"convert", cmd_convert, "a model between pyhf JSON, HS3 JSON (ROOT) and HistFactory XML + ROOT files"},
    {"backends", cmd_backends, "the backends compiled in, and whether each can run here"},
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

static void print_usage(FILE * f) {
    fprintf(f, "usage: hfx [--version] [--help] COMMAND [ARGS...]\n\n"
           "Fast HistFactory likelihood fits reproducing pyhf 0.7.6.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-12s  %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    }
    fprintf(f, "\nRun 'hfx COMMAND --help' for the options of a command.\n"
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
            return COMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    if (name[0] == '-') {
        return cli_usage_error(NULL, "unknown option '%s'", name);
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

/* Under an MPI launcher every rank runs the same command; scan and toy-based cls share the work
 * (ranks.h), the others simply run on each rank. */
int main(int argc, char ** argv) {
    ranks_init(&argc, &argv);
    int rc = run(argc, argv);
    ranks_finalize();
    return rc;
}
