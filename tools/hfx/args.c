/*
 * args.c -- command-line plumbing shared by all subcommands: error messages, the option parser,
 * strict number parsing and generated --help text.
 */
#include "cli.h"

#include "array.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cli_opt cli_help_table[] = {
    {CLI_OPT_HELP, "--help", "-h", NULL, "show this help and exit"},
    {0, NULL, NULL, NULL, NULL},
};

/* The error lines recorded since cli_errors_record (main.c, under MPI): the process's only state
 * here, written by the main thread alone as every error line is. */
static struct {
    bool   on, print;
    char * text;
    size_t len, cap;
} recorded;

void cli_errors_record(bool print) {
    recorded.on    = true;
    recorded.print = print;
}

char * cli_errors_take(void) {
    char * t      = recorded.text;
    recorded.text = NULL;
    recorded.len  = 0;
    recorded.cap  = 0;
    return t;
}

static void record(const char * msg) {
    size_t n = strlen(msg);
    if (!CLI_ARRAY_RESERVE(recorded.text, recorded.cap, recorded.len + n + 2, 256)) {
        return; /* out of memory: the line is lost, the exit status still says it failed */
    }
    char * text = recorded.text;
    memcpy(text + recorded.len, msg, n);
    text[recorded.len + n]     = '\n';
    text[recorded.len + n + 1] = '\0';
    recorded.len += n + 1;
}

/* An error is one line: control characters (a newline in a sample name) are escaped as the
 * library escapes them, by formatting the text as the message of a report. */
static void print_line(bool error, const char * fmt, va_list ap) {
    struct hfx_error e = {0};
    char             line[sizeof e.msg + 64];
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    e.code = HFX_ERR_ARG;
    hfx_error_format(&e, line, sizeof line);
    if (error && recorded.on) {
        record(line);
    }
    if (!error || !recorded.on || recorded.print) {
        fprintf(stderr, "%s%s\n", error ? "hfx: error: " : "hfx: warning: ", line);
    }
}

void cli_error(const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    print_line(true, fmt, ap);
    va_end(ap);
}

void cli_warning(const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    print_line(false, fmt, ap);
    va_end(ap);
}

void cli_error_text(enum hfx_status st, const struct hfx_error * err, char * buf, size_t cap) {
    if (st == HFX_ERR_CANCELLED) {
        snprintf(buf, cap, "interrupted by %s: stopped before the result, nothing written",
                 cli_signal_name(cli_interrupted()));
        return;
    }
    if (err && (err->msg[0] || err->source[0] || err->pointer[0])) {
        hfx_error_format(err, buf, cap);
    } else {
        snprintf(buf, cap, "%s", hfx_status_str(st));
    }
}

void cli_error_hfx(enum hfx_status st, const struct hfx_error * err) {
    char buf[2048];
    cli_error_text(st, err, buf, sizeof buf);
    cli_error("%s", buf);
}

int cli_usage_error(const char * cmd, const char * fmt, ...) {
    char    msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cmd) {
        cli_error("%s (see 'hfx %s --help')", msg, cmd);
    } else {
        cli_error("%s (see 'hfx --help')", msg);
    }
    return CLI_USAGE;
}

bool cli_parse_double(const char * s, double * out) {
    if (!s || !*s) {
        return false;
    }
    char * end = NULL;
    errno      = 0;
    double v   = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_long(const char * s, long lo, long hi, long * out) {
    if (!s || !*s) {
        return false;
    }
    char * end = NULL;
    errno      = 0;
    long v     = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_u64(const char * s, uint64_t * out) {
    if (!s || !*s || *s == '-' || *s == '+') {
        return false;
    }
    char * end = NULL;
    errno      = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end != '\0' || errno == ERANGE) {
        return false;
    }
    *out = (uint64_t) v;
    return true;
}

void cli_args_init(struct cli_args * a, int argc, char ** argv, int first, const char * cmd,
                   const struct cli_opt ** tables) {
    a->argc     = argc;
    a->argv     = argv;
    a->i        = first;
    a->only_pos = false;
    a->cmd      = cmd;
    a->tables   = tables;
}

static bool opt_matches(const struct cli_opt * o, const char * name, size_t len) {
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
        return true;
    }
    return o->alias && strlen(o->alias) == len && strncmp(o->alias, name, len) == 0;
}

static const struct cli_opt * find_opt(const struct cli_opt ** tables, const char * name, size_t len) {
    for (size_t t = 0; tables[t]; t++) {
        for (const struct cli_opt * o = tables[t]; o->id; o++) {
            if (opt_matches(o, name, len)) {
                return o;
            }
        }
    }
    return NULL;
}

enum cli_arg_kind cli_args_next(struct cli_args * a, const struct cli_opt ** opt, const char ** value) {
    *opt   = NULL;
    *value = NULL;
    if (a->i >= a->argc) {
        return CLI_ARG_END;
    }
    const char * arg = a->argv[a->i++];
    if (a->only_pos || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return CLI_ARG_POS;
    }
    if (strcmp(arg, "--") == 0) {
        a->only_pos = true;
        return cli_args_next(a, opt, value);
    }
    const char * eq  = arg[1] == '-' ? strchr(arg, '=') : NULL;
    size_t       len = eq ? (size_t) (eq - arg) : strlen(arg);
    const struct cli_opt * o = find_opt(a->tables, arg, len);
    if (!o) {
        cli_usage_error(a->cmd, "unknown option '%.*s'", (int) len, arg);
        return CLI_ARG_ERROR;
    }
    *opt = o;
    if (!o->metavar) {
        if (eq) {
            cli_usage_error(a->cmd, "option '%s' takes no value", o->name);
            return CLI_ARG_ERROR;
        }
        return CLI_ARG_OPT;
    }
    if (eq) {
        *value = eq + 1;
    } else if (a->i < a->argc) {
        *value = a->argv[a->i++];
    } else {
        cli_usage_error(a->cmd, "option '%s' needs a value %s", o->name, o->metavar);
        return CLI_ARG_ERROR;
    }
    return CLI_ARG_OPT;
}

static void print_opt(const struct cli_opt * o) {
    char left[128];
    if (o->alias) {
        snprintf(left, sizeof left, "%s, %s%s%s", o->alias[1] == '-' ? o->name : o->alias,
                 o->alias[1] == '-' ? o->alias : o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
    } else {
        snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
    }
    if (strlen(left) > 28) {
        printf("  %s\n  %-28s  %s\n", left, "", o->help);
    } else {
        printf("  %-28s  %s\n", left, o->help);
    }
}

void cli_print_help(const char * synopsis, const char * description, const struct cli_opt ** tables) {
    printf("usage: hfx %s\n\n%s\n", synopsis, description);
    printf("\noptions:\n");
    for (size_t t = 0; tables[t]; t++) {
        for (const struct cli_opt * o = tables[t]; o->id; o++) {
            print_opt(o);
        }
    }
}

const char * cli_basename(const char * path) {
    const char * slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

int cli_strings_add(struct cli_strings * l, const char * s) {
    if (!CLI_ARRAY_RESERVE(l->v, l->cap, l->n + 1, 8)) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    l->v[l->n++] = s;
    return CLI_OK;
}
