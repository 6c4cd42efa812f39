/*
 * cmd-backends.c -- "hfx backends": the backends compiled into this build and, for each, whether it
 * can run on this machine and, if not, why (no GPU, no driver, no kernel image for the GPU), as a
 * table or, with --json, as [{"name", "usable", "why", "description"}]. It answers "why does
 * --backend cuda fail here" before any workspace is read.
 */
#include "json-out.h"
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = 100 };

static const struct cli_opt BACKENDS_OPTS[] = {
    {OPT_JSON, "--json", NULL, NULL, "print the list as JSON"},
    {0, NULL, NULL, NULL, NULL},
};

static const struct cli_opt * BACKENDS_TABLES[] = {BACKENDS_OPTS, cli_help_table, NULL};
static const char * const     BACKENDS_POS[]    = {NULL};

static const struct cli_command BACKENDS = {
    "backends",
    "backends [--json]",
    "Lists the backends compiled into this build (the names --backend takes), whether each can run\n"
    "here and, if not, why. --json prints [{\"name\", \"usable\", \"why\", \"description\"}]\n"
    "(why is null for a usable backend).",
    BACKENDS_TABLES,
    BACKENDS_POS,
    false,
};

static int backends_extra(void * ctx, const struct cli_opt * o, const char * v) {
    (void) v;
    if (o->id != OPT_JSON) {
        return CLI_NOT_MINE;
    }
    *(bool *) ctx = true;
    return CLI_OK;
}

static json_t * backends_json(void) {
    json_t * list = json_array();
    for (size_t i = 0; list && i < hfx_backend_count(); i++) {
        const char * why    = NULL;
        bool         usable = hfx_backend_usable(i, &why);
        json_t *     o      = json_object();
        json_object_set_new(o, "name", json_string(hfx_backend_name(i)));
        json_object_set_new(o, "usable", json_boolean(usable));
        json_object_set_new(o, "why", why ? json_string(why) : json_null());
        json_object_set_new(o, "description", json_string(hfx_backend_description(i)));
        json_array_append_new(list, o);
    }
    return list;
}

/* One line per backend: name, "usable" and the description, or "compiled, not usable: " and why. */
static void print_table(void) {
    int width = 0;
    for (size_t i = 0; i < hfx_backend_count(); i++) {
        int n = (int) strlen(hfx_backend_name(i));
        width = n > width ? n : width;
    }
    for (size_t i = 0; i < hfx_backend_count(); i++) {
        const char * why = NULL;
        if (hfx_backend_usable(i, &why)) {
            printf("%-*s  %-8s  %s\n", width, hfx_backend_name(i), "usable", hfx_backend_description(i));
        } else {
            printf("%-*s  compiled, not usable: %s\n", width, hfx_backend_name(i), why ? why : "unknown reason");
        }
    }
}

int cmd_backends(int argc, char ** argv) {
    struct cli_parsed args;
    bool              as_json = false;
    int               rc      = cli_parse_command(&BACKENDS, argc, argv, NULL, NULL, backends_extra, &as_json, &args);
    if (rc != CLI_OK) {
        return rc == CLI_HELP_SHOWN ? CLI_OK : rc;
    }
    free(args.pos);
    if (as_json) {
        json_t * j = backends_json();
        if (!j) {
            cli_error("out of memory");
            return CLI_FAIL;
        }
        rc = jout_emit(j, NULL);
        json_decref(j);
        return rc;
    }
    print_table();
    return CLI_OK;
}
