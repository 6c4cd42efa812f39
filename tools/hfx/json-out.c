/*
 * json-out.c -- a JSON writer over jansson values that prints exactly like Python's json.dumps
 * (indent=4, sort_keys=True for pretty output; default separators for compact lines), with floats
 * in Python repr form so that values round-trip.
 */
#include "json-out.h"

#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* jansson rejects non-finite reals: they travel as these marker strings and print bare. */
static const char * const NONFINITE[] = {"\x01NaN", "\x01Infinity", "\x01-Infinity"};

json_t * jout_num(double x) {
    if (isnan(x)) {
        return json_string(NONFINITE[0]);
    }
    if (isinf(x)) {
        return json_string(NONFINITE[x > 0 ? 1 : 2]);
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

/* Shortest "%.*e" form that reads back as x: fills digits (no dot) and returns the exponent. */
static int shortest_digits(double x, char * digits, size_t size) {
    char buf[64];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, x);
        if (strtod(buf, NULL) == x || prec == 16) {
            break;
        }
    }
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

static void write_string(FILE * f, const char * s) {
    for (size_t i = 0; i < sizeof NONFINITE / sizeof NONFINITE[0]; i++) {
        if (strcmp(s, NONFINITE[i]) == 0) {
            fputs(s + 1, f);
            return;
        }
    }
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
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else {
                fputc(*p, f);
            }
        }
    }
    fputc('"', f);
}

static void newline(FILE * f, int depth) {
    fputc('\n', f);
    for (int i = 0; i < depth * 4; i++) {
        fputc(' ', f);
    }
}

static void write_value(FILE * f, const json_t * v, bool pretty, int depth);

static int cmp_str(const void * a, const void * b) {
    return strcmp(*(const char * const *) a, *(const char * const *) b);
}

static void write_object(FILE * f, const json_t * v, bool pretty, int depth) {
    size_t n = json_object_size(v);
    if (n == 0) {
        fputs("{}", f);
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
    if (keys && pretty) {
        qsort(keys, k, sizeof *keys, cmp_str);
    }
    fputc('{', f);
    for (size_t i = 0; i < k; i++) {
        if (i > 0) {
            fputs(pretty ? "," : ", ", f);
        }
        if (pretty) {
            newline(f, depth + 1);
        }
        write_string(f, keys[i]);
        fputs(": ", f);
        write_value(f, json_object_get(v, keys[i]), pretty, depth + 1);
    }
    if (pretty) {
        newline(f, depth);
    }
    fputc('}', f);
    free(keys);
}

static void write_array(FILE * f, const json_t * v, bool pretty, int depth) {
    size_t n = json_array_size(v);
    if (n == 0) {
        fputs("[]", f);
        return;
    }
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            fputs(pretty ? "," : ", ", f);
        }
        if (pretty) {
            newline(f, depth + 1);
        }
        write_value(f, json_array_get(v, i), pretty, depth + 1);
    }
    if (pretty) {
        newline(f, depth);
    }
    fputc(']', f);
}

static void write_value(FILE * f, const json_t * v, bool pretty, int depth) {
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: write_object(f, v, pretty, depth); break;
    case JSON_ARRAY: write_array(f, v, pretty, depth); break;
    case JSON_STRING: write_string(f, json_string_value(v)); break;
    case JSON_INTEGER: fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL:
        jout_format_double(json_real_value(v), buf, sizeof buf);
        fputs(buf, f);
        break;
    case JSON_TRUE: fputs("true", f); break;
    case JSON_FALSE: fputs("false", f); break;
    case JSON_NULL: fputs("null", f); break;
    }
}

void jout_write(FILE * f, const json_t * v, bool pretty) {
    if (!v) {
        fputs("null", f);
        return;
    }
    write_value(f, v, pretty, 0);
}

int jout_emit(const json_t * v, const char * path) {
    FILE * f = path ? fopen(path, "w") : stdout;
    if (!f) {
        cli_error("%s: cannot open for writing", path);
        return CLI_FAIL;
    }
    jout_write(f, v, true);
    fputc('\n', f);
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
