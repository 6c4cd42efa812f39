/*
 * cli.h -- shared pieces of the hfx command-line program: exit codes, error reporting, the option
 * table and its parser, strict number parsing, and the entry points of the subcommands.
 */
#ifndef HFX_CLI_H
#define HFX_CLI_H

#include "hfx/hfx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef HFX_CLI_VERSION
#define HFX_CLI_VERSION "0.1.0"
#endif

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "hfx: error: <formatted message>" (resp. "hfx: warning: ...") as one line on stderr:
 * control characters in the message are escaped (\n, \t, \xHH). */
void cli_error(const char * fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char * fmt, ...) __attribute__((format(printf, 1, 2)));
/* Under MPI (main.c): from now on the error lines are recorded (their text, without the
 * "hfx: error: " prefix, one line each), and printed as they come only where print is true (rank
 * 0); cli_errors_take returns what was recorded since the last take (malloc'd, NULL if nothing). */
void   cli_errors_record(bool print);
char * cli_errors_take(void);
/* Prints the library error (hfx_error_format, or the status text when err has no message). */
void cli_error_hfx(enum hfx_status st, const struct hfx_error * err);
/* The text cli_error_hfx prints after "hfx: error: ", into buf. */
void cli_error_text(enum hfx_status st, const struct hfx_error * err, char * buf, size_t cap);
/* A usage error about command cmd: prints the message and a pointer to "hfx CMD --help"; returns 2. */
int cli_usage_error(const char * cmd, const char * fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict parsing: the whole string must be a finite number (resp. an integer in range). */
bool cli_parse_double(const char * s, double * out);
bool cli_parse_long(const char * s, long lo, long hi, long * out);
bool cli_parse_u64(const char * s, uint64_t * out);

/* true where n elements of elem_size bytes each are a plausible input: n <= HFX_COUNT_MAX (the
 * library's limit on any count read from input) and the byte count fits in size_t. The CLI's
 * readers check their counts with it before they size anything by them. */
static inline bool cli_count_ok(uint64_t n, size_t elem_size) {
    size_t bytes;
    return n <= HFX_COUNT_MAX && !__builtin_mul_overflow((size_t) n, elem_size, &bytes);
}

/* One command-line option. id 0 terminates a table; ids below 100 are reserved for shared tables. */
struct cli_opt {
    int          id;
    const char * name;     /* "--test-poi" */
    const char * alias;    /* "-p", "--test-stat" or NULL */
    const char * metavar;  /* NULL for flags */
    const char * help;
};

enum cli_arg_kind { CLI_ARG_END = 0, CLI_ARG_OPT, CLI_ARG_POS, CLI_ARG_ERROR };

/* Walks argv[first..argc): options from a NULL-terminated list of tables ("--opt value" and
 * "--opt=value"), positionals, "--" ending the options, "-" being a positional. */
struct cli_args {
    int                     argc;
    char **                 argv;
    int                     i;
    bool                    only_pos;
    const char *            cmd;    /* for messages: "cls", "patchset apply" */
    const struct cli_opt ** tables;
};

/* The -h/--help option, included last in every command's list of tables. */
enum { CLI_OPT_HELP = 1 };
extern const struct cli_opt cli_help_table[];

void              cli_args_init(struct cli_args * a, int argc, char ** argv, int first, const char * cmd,
                                const struct cli_opt ** tables);
/* Returns the next argument: for CLI_ARG_OPT *opt and *value (NULL for flags), for CLI_ARG_POS
 * *value. CLI_ARG_ERROR: a usage error was printed (the caller returns CLI_USAGE). */
enum cli_arg_kind cli_args_next(struct cli_args * a, const struct cli_opt ** opt, const char ** value);

/* Prints "usage: hfx SYNOPSIS", the description and the options of the tables. */
void cli_print_help(const char * synopsis, const char * description, const struct cli_opt ** tables);

/* A file name's last component, "-" for stdin kept as is. */
const char * cli_basename(const char * path);

/* Subcommands: argv[0] is the command name. Each returns the process exit status. */
int cmd_cls(int argc, char ** argv);
int cmd_fit(int argc, char ** argv);
int cmd_eval(int argc, char ** argv);
int cmd_upper_limit(int argc, char ** argv);
int cmd_scan(int argc, char ** argv);
int cmd_merge(int argc, char ** argv);
int cmd_toys(int argc, char ** argv);
int cmd_inspect(int argc, char ** argv);
int cmd_patchset(int argc, char ** argv);
int cmd_backends(int argc, char ** argv);
int cmd_ranking(int argc, char ** argv);      /* cmd-analyses.c */
int cmd_profile_scan(int argc, char ** argv);
int cmd_significance(int argc, char ** argv);
int cmd_xml2json(int argc, char ** argv);
int cmd_json2xml(int argc, char ** argv);
int cmd_convert(int argc, char ** argv);
int cmd_combine(int argc, char ** argv);
int cmd_digest(int argc, char ** argv);
int cmd_prune(int argc, char ** argv);
int cmd_rename(int argc, char ** argv);
int cmd_sort(int argc, char ** argv);

/* SIGINT and SIGTERM (interrupt.c): installed by main for the long commands; the first one cancels
 * the running library calls (hfx_cancel_all) and is remembered, a second one kills. */
void         cli_interrupt_install(void);
/* The signal caught (SIGINT, SIGTERM), 0 when none: the command stops and exits 128 + it. */
int          cli_interrupted(void);
const char * cli_signal_name(int sig);

/* The commands' growable list of strings (pointers into argv, not owned): --parameter names,
 * prune's and rename's names, digest's algorithms. Freed with free(l.v). */
struct cli_strings {
    const char ** v;
    size_t        n, cap;
};

/* Appends s (args.c); CLI_FAIL with "out of memory" printed where the list cannot grow. */
int cli_strings_add(struct cli_strings * l, const char * s);

#endif /* HFX_CLI_H */
