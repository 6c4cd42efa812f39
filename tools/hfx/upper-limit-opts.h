/*
 * upper-limit-opts.h -- the options of an upper limit (--level, --scan LO,HI[,N]), shared by
 * "hfx upper-limit" and "hfx scan --upper-limit" (defined in cmd-upper-limit.c).
 */
#ifndef HFX_UPPER_LIMIT_OPTS_H
#define HFX_UPPER_LIMIT_OPTS_H

#include "options.h"

/* Option ids 150..159 (free in every command that takes this table). */
enum { OPT_UL_LEVEL = 150, OPT_UL_SCAN };
extern const struct cli_opt ul_opt_table[];

/* Sets u->level (default 0.05 from the caller) and the bracket or grid of --scan. Returns CLI_OK,
 * CLI_USAGE (printed, naming command cmd) or CLI_NOT_MINE. */
int ul_opts_handle(struct hfx_upper_limit_options * u, const char * cmd, const struct cli_opt * o, const char * v);

#endif /* HFX_UPPER_LIMIT_OPTS_H */
