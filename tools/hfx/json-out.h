/*
 * json-out.h -- JSON output as Python's json.dumps writes it (what pyhf's CLI prints): pretty with a
 * 4-space indent and sorted keys, or compact on one line with ", " and ": " separators in insertion
 * order; floats as Python's repr (the shortest string that reads back to the same double).
 */
#ifndef HFX_JSON_OUT_H
#define HFX_JSON_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A number node; non-finite values (which jansson cannot hold, nor JSON) print as null, with a
 * warning on stderr naming the value (Python would print a bare NaN / Infinity: not JSON). */
json_t * jout_num(double x);
/* An array of n numbers. */
json_t * jout_array(const double * x, size_t n);
/* A number when n == 1 and scalar is true, else an array. */
json_t * jout_values(const double * x, size_t n, bool scalar);

/* Writes v: pretty = indent 4 + sorted keys + ensure_ascii (no trailing newline), else compact
 * (insertion order, UTF-8 as is). */
void jout_write(FILE * f, const json_t * v, bool pretty);

/* Writes v as json.dumps(v, sort_keys=True, ensure_ascii=ascii) does: one line, ", " and ": ", keys
 * sorted (what pyhf.utils.digest hashes, with ascii false). */
void jout_write_sorted_compact(FILE * f, const json_t * v, bool ascii);

/* Writes v pretty plus a newline to stdout, or to the file path when path is not NULL (without the
 * newline there: pyhf's json.dump ends a file at its closing brace).
 * Returns 0, or 1 after printing an error when the file cannot be written. Does not free v. */
int jout_emit(const json_t * v, const char * path);

/* Python's == on decoded JSON (1 == 1.0; key order ignored; false if either is NULL), what pyhf's
 * combine compares items with. The library's patches have their own (json-patch.c, RFC 6902 "test"):
 * the CLI reaches the library through hfx.h only, so the comparison of its own trees lives here. */
bool jout_equal(const json_t * a, const json_t * b);

/* Python's repr of a float into buf (at least 32 bytes). */
void jout_format_double(double x, char * buf, size_t size);

#endif /* HFX_JSON_OUT_H */
