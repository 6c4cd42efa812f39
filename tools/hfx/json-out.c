/*
 * json-out.c -- a JSON writer over jansson values that prints exactly like Python's json.dumps
 * (indent=4, sort_keys=True for pretty output; default separators for compact lines), with floats
 * in Python repr form so that values round-trip.
 *
 * One difference from Python: output is strict JSON. Python writes NaN and Infinity as bare tokens
 * that strict parsers (jq, JavaScript, Go, Rust) refuse; hfx writes null there and says so on stderr,
 * naming the value ("hfx: warning: /CLs_exp/0 is NaN, written as null ..."). The writer recurses
 * at most HFX_JSON_DEPTH_MAX levels, the bound every tree hfx reads or builds keeps.
 */
#include "json-out.h"

#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* jansson rejects non-finite reals: they travel as these marker strings and print as null. A 0xff
 * byte is never valid UTF-8, so no string read from JSON (jansson validates them) or made with
 * json_string (which does too) can be mistaken for a marker. */
static const char * const NONFINITE[] = {"\xffNaN", "\xffInfinity", "\xff-Infinity"};

json_t * jout_num(double x) {
    if (isnan(x)) {
        return json_string_nocheck(NONFINITE[0]);
    }
    if (isinf(x)) {
        return json_string_nocheck(NONFINITE[x > 0 ? 1 : 2]);
    }
    return json_real(x);
}

json_t * jout_array(const double * x, size_t n) {
    json_t * a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, jout_num(x[i]));
    }
    return a;
}

json_t * jout_values(const double * x, size_t n, bool scalar) {
    return scalar && n == 1 ? jout_num(x[0]) : jout_array(x, n);
}

/* Whether "%.*e" with prec reads back as x; buf gets the text. */
static bool reads_back(double x, int prec, char * buf, size_t size) {
    snprintf(buf, size, "%.*e", prec, x);
    return strtod(buf, NULL) == x;
}

/* Shortest "%.*e" form that reads back as x: fills digits (no dot) and returns the exponent.
 * Reading back is monotone in the precision (the correctly rounded prec + 1 digit decimal is at
 * least as near x as the prec digit one, which is a prec + 1 digit decimal too), so the least
 * precision is found by bisection over 0..16 (17 digits always read back): 5 conversions instead
 * of up to 17, the same text. A JSON result of full-precision numbers spent most of its output
 * time here. */
static int shortest_digits(double x, char * digits, size_t size) {
    char buf[64];
    int  lo = 0, hi = 16; /* the least precision that reads back lies in [lo, hi] */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (reads_back(x, mid, buf, sizeof buf)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    snprintf(buf, sizeof buf, "%.*e", lo, x);
    char * e   = strchr(buf, 'e');
    int    exp = atoi(e + 1);
    size_t n   = 0;
    for (const char * p = buf; p < e && n + 1 < size; p++) {
        if (*p >= '0' && *p <= '9') {
            digits[n++] = *p;
        }
    }
    digits[n] = '\0';
    return exp;
}

/* Positional notation of digits d with decimal exponent e (-4 <= e < 16), as Python repr. */
static void format_fixed(const char * d, int e, char * out, size_t size) {
    int    nd = (int) strlen(d);
    char   tmp[64];
    size_t n = 0;
    if (e < 0) {
        tmp[n++] = '0';
        tmp[n++] = '.';
        for (int i = 0; i < -e - 1; i++) {
            tmp[n++] = '0';
        }
        for (int i = 0; i < nd; i++) {
            tmp[n++] = d[i];
        }
    } else {
        for (int i = 0; i <= e || i < nd; i++) {
            if (i == e + 1) {
                tmp[n++] = '.';
            }
            tmp[n++] = i < nd ? d[i] : '0';
        }
        if (e >= nd - 1) {
            tmp[n++] = '.';
            tmp[n++] = '0';
        }
    }
    tmp[n] = '\0';
    snprintf(out, size, "%s", tmp);
}

void jout_format_double(double x, char * buf, size_t size) {
    if (!isfinite(x)) {
        snprintf(buf, size, "%s", isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (x == 0) {
        snprintf(buf, size, "%s", signbit(x) ? "-0.0" : "0.0");
        return;
    }
    char         d[32];
    char         body[64];
    int          e    = shortest_digits(fabs(x), d, sizeof d);
    const char * sign = x < 0 ? "-" : "";
    if (e < -4 || e >= 16) {
        snprintf(body, sizeof body, "%c%s%se%c%02d", d[0], d[1] ? "." : "", d + 1, e < 0 ? '-' : '+', abs(e));
    } else {
        format_fixed(d, e, body, sizeof body);
    }
    snprintf(buf, size, "%s%s", sign, body);
}

/* The marker index of s (a non-finite number), or -1 for a real string. */
static int nonfinite_marker(const char * s) {
    for (size_t i = 0; i < sizeof NONFINITE / sizeof NONFINITE[0]; i++) {
        if (strcmp(s, NONFINITE[i]) == 0) {
            return (int) i;
        }
    }
    return -1;
}

/* One UTF-8 sequence at *p (jansson validated it): its code point; *p moves past it. */
static unsigned long utf8_next(const unsigned char ** p) {
    const unsigned char * c = *p;
    int                   n = *c >= 0xf0 ? 3 : *c >= 0xe0 ? 2 : 1;
    unsigned long         u = *c & (0x3f >> n);
    for (int i = 1; i <= n && (c[i] & 0xc0) == 0x80; i++) {
        u = u << 6 | (c[i] & 0x3f);
        *p = c + i;
    }
    return u;
}

/* A string as json.dumps writes it; ascii: ensure_ascii=True (its default, what pyhf's CLI prints):
 * everything outside ' '..'~' as \uXXXX, beyond the BMP as a surrogate pair; else (ensure_ascii=False,
 * what pyhf.utils.digest hashes) UTF-8 as is. */
static void write_string(FILE * f, const char * s, bool ascii) {
    fputc('"', f);
    for (const unsigned char * p = (const unsigned char *) s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20 || (ascii && *p == 0x7f)) {
                fprintf(f, "\\u%04x", *p);
            } else if (ascii && *p >= 0x80) {
                unsigned long u = utf8_next(&p);
                if (u >= 0x10000) {
                    u -= 0x10000;
                    fprintf(f, "\\u%04lx\\u%04lx", 0xd800 | (u >> 10), 0xdc00 | (u & 0x3ff));
                } else {
                    fprintf(f, "\\u%04lx", u);
                }
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}

/* The writer's state: where it writes, how, and the JSON pointer of the value being written (for
 * the warning about a non-finite number; cut at its buffer's size). */
struct writer {
    FILE * f;
    bool   pretty; /* indent 4 */
    bool   sorted; /* sort_keys=True */
    bool   ascii;  /* ensure_ascii=True */
    char   path[512];
    size_t len;
};

static void newline(struct writer * w, int depth) {
    fputc('\n', w->f);
    for (int i = 0; i < depth * 4; i++) {
        fputc(' ', w->f);
    }
}

/* Appends "/token" to the path (RFC 6901 escapes); returns the old length, for path_pop. */
static size_t path_push(struct writer * w, const char * key, size_t index) {
    size_t old = w->len;
    char   tok[32];
    if (!key) {
        snprintf(tok, sizeof tok, "%zu", index);
        key = tok;
    }
    if (w->len + 1 < sizeof w->path) {
        w->path[w->len++] = '/';
    }
    for (const char * c = key; *c && w->len + 2 < sizeof w->path; c++) {
        if (*c == '~' || *c == '/') {
            w->path[w->len++] = '~';
            w->path[w->len++] = *c == '~' ? '0' : '1';
        } else {
            w->path[w->len++] = *c;
        }
    }
    w->path[w->len] = '\0';
    return old;
}

static void path_pop(struct writer * w, size_t old) {
    w->len          = old;
    w->path[w->len] = '\0';
}

static void write_value(struct writer * w, const json_t * v, int depth);

static int cmp_str(const void * a, const void * b) {
    return strcmp(*(const char * const *) a, *(const char * const *) b);
}

static void write_object(struct writer * w, const json_t * v, int depth) {
    size_t n = json_object_size(v);
    if (n == 0) {
        fputs("{}", w->f);
        return;
    }
    const char ** keys = malloc(n * sizeof *keys);
    size_t        k    = 0;
    const char *  key;
    json_t *      val;
    json_object_foreach((json_t *) v, key, val) {
        if (keys && k < n) {
            keys[k++] = key;
        }
    }
    if (keys && w->sorted) {
        qsort(keys, k, sizeof *keys, cmp_str);
    }
    fputc('{', w->f);
    for (size_t i = 0; i < k; i++) {
        if (i > 0) {
            fputs(w->pretty ? "," : ", ", w->f);
        }
        if (w->pretty) {
            newline(w, depth + 1);
        }
        write_string(w->f, keys[i], w->ascii);
        fputs(": ", w->f);
        size_t old = path_push(w, keys[i], 0);
        write_value(w, json_object_get(v, keys[i]), depth + 1);
        path_pop(w, old);
    }
    if (w->pretty) {
        newline(w, depth);
    }
    fputc('}', w->f);
    free(keys);
}

static void write_array(struct writer * w, const json_t * v, int depth) {
    size_t n = json_array_size(v);
    if (n == 0) {
        fputs("[]", w->f);
        return;
    }
    fputc('[', w->f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            fputs(w->pretty ? "," : ", ", w->f);
        }
        if (w->pretty) {
            newline(w, depth + 1);
        }
        size_t old = path_push(w, NULL, i);
        write_value(w, json_array_get(v, i), depth + 1);
        path_pop(w, old);
    }
    if (w->pretty) {
        newline(w, depth);
    }
    fputc(']', w->f);
}

static void write_value(struct writer * w, const json_t * v, int depth) {
    static const char * const what[] = {"NaN", "Infinity", "-Infinity"};
    char                      buf[64];
    int                       marker = json_is_string(v) ? nonfinite_marker(json_string_value(v)) : -1;
    if (marker >= 0) {
        fputs("null", w->f);
        cli_warning("%s is %s, written as null (JSON has no NaN or Infinity)", w->len ? w->path : "the result",
                    what[marker]);
        return;
    }
    if (depth > HFX_JSON_DEPTH_MAX && (json_is_object(v) || json_is_array(v))) {
        fputs("null", w->f); /* never happens: no tree hfx holds nests this deep */
        cli_warning("%s nests deeper than %d levels, written as null", w->path, HFX_JSON_DEPTH_MAX);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: write_object(w, v, depth); break;
    case JSON_ARRAY: write_array(w, v, depth); break;
    case JSON_STRING: write_string(w->f, json_string_value(v), w->ascii); break;
    case JSON_INTEGER: fprintf(w->f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL:
        jout_format_double(json_real_value(v), buf, sizeof buf);
        fputs(buf, w->f);
        break;
    case JSON_TRUE: fputs("true", w->f); break;
    case JSON_FALSE: fputs("false", w->f); break;
    case JSON_NULL: fputs("null", w->f); break;
    }
}

void jout_write(FILE * f, const json_t * v, bool pretty) {
    if (!v) {
        fputs("null", f);
        return;
    }
    struct writer w = {f, pretty, pretty, pretty, "", 0};
    write_value(&w, v, 0);
}

void jout_write_sorted_compact(FILE * f, const json_t * v, bool ascii) {
    struct writer w = {f, false, true, ascii, "", 0};
    write_value(&w, v, 0);
}

int jout_emit(const json_t * v, const char * path) {
    FILE * f = path ? fopen(path, "w") : stdout;
    if (!f) {
        cli_error("%s: cannot open for writing", path);
        return CLI_FAIL;
    }
    /* One lock for the whole document: the writer puts it out a character at a time, and once a
     * process has a second thread (the cpu backend's pool) every stdio call takes the stream's lock
     * unless its thread holds it already (a 31 kB ranking: 0.3 ms of such locking). */
    flockfile(f);
    jout_write(f, v, true);
    if (!path) { /* a file ends at its closing brace, as pyhf's json.dump writes it; a line for stdout (click.echo) */
        fputc('\n', f);
    }
    funlockfile(f);
    bool bad = ferror(f) != 0;
    if (path) {
        bad = fclose(f) != 0 || bad;
    } else {
        bad = fflush(f) != 0 || bad;
    }
    if (bad) {
        cli_error("%s: write failed", path ? path : "standard output");
        return CLI_FAIL;
    }
    return CLI_OK;
}

static bool equal_at(const json_t * a, const json_t * b, size_t depth) {
    if (depth > HFX_JSON_DEPTH_MAX) {
        return false; /* trees hfx reads never nest this deep (hfx.h's limits) */
    }
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b)) {
            return json_integer_value(a) == json_integer_value(b);
        }
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b)) {
        return false;
    }
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b)) {
            return false;
        }
        const char * key;
        json_t *     va;
        json_object_foreach((json_t *) a, key, va) {
            json_t * vb = json_object_get(b, key);
            if (!vb || !equal_at(va, vb, depth + 1)) {
                return false;
            }
        }
        return true;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b)) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (!equal_at(json_array_get(a, i), json_array_get(b, i), depth + 1)) {
                return false;
            }
        }
        return true;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default:
        return true; /* true, false, null: the same type is enough */
    }
}

bool jout_equal(const json_t * a, const json_t * b) {
    return a && b && equal_at(a, b, 0);
}
