/*
 * error.c -- status strings and the caller-owned error report.
 *
 * A report is one line (hfx.h): names taken from a workspace may hold newlines, tabs or other
 * control characters, so every text stored in a report is escaped as it is stored (a newline
 * becomes the two characters \n, other control bytes \xHH), in one place, rather than at each of
 * the hundred places that quote a name.
 */
#include "hfx-impl.h"

#include <string.h>

const char * hfx_status_str(enum hfx_status status) {
    switch (status) {
#define HFX_X_CASE(name, value, text) \
    case name:                        \
        return text;
        HFX_STATUS_LIST(HFX_X_CASE)
#undef HFX_X_CASE
    }
    return "unknown status";
}

void hfx__error_clear(struct hfx_error * err) {
    if (err) {
        memset(err, 0, sizeof *err);
    }
}

void hfx__escape_controls(char * out, size_t size, const char * in) {
    if (size == 0) {
        return;
    }
    size_t n = 0;
    for (const unsigned char * c = (const unsigned char *) in; *c; c++) {
        char        esc[5] = { 0 };
        const char * sub   = NULL;
        switch (*c) {
        case '\n': sub = "\\n"; break;
        case '\r': sub = "\\r"; break;
        case '\t': sub = "\\t"; break;
        default:
            if (*c < 0x20 || *c == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", *c);
                sub = esc;
            }
        }
        size_t k = sub ? strlen(sub) : 1;
        if (n + k >= size) {
            break;
        }
        if (sub) {
            memcpy(out + n, sub, k);
        } else {
            out[n] = (char) *c;
        }
        n += k;
    }
    out[n] = '\0';
}

enum hfx_status hfx__error(struct hfx_error * err, enum hfx_status code, const char * pointer, const char * fmt, ...) {
    if (!err) {
        return code;
    }
    /* every field filled (hfx.h's contract), also in an uninitialised or reused struct: no stale
     * position or file; callers that know the file set it afterwards (hfx__error_source) */
    err->code      = code;
    err->line      = 0;
    err->column    = 0;
    err->source[0] = '\0';
    hfx__escape_controls(err->pointer, sizeof err->pointer, pointer ? pointer : "");
    char    msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hfx__escape_controls(err->msg, sizeof err->msg, msg);
    return code;
}

enum hfx_status hfx__error_oom(struct hfx_error * err, const char * what, size_t bytes) {
    return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory allocating %zu bytes for %s", bytes, what);
}

void hfx__format(char * buf, size_t size, const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

void hfx__error_source(struct hfx_error * err, const char * source) {
    if (err && source && err->source[0] == '\0') {
        hfx__escape_controls(err->source, sizeof err->source, source);
    }
}

char * hfx_error_format(const struct hfx_error * err, char * buf, size_t size) {
    if (!buf || size == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (!err) {
        return buf;
    }
    /* composed whole, then escaped: a source or message stored by hand may hold a newline */
    char   line[sizeof err->source + sizeof err->pointer + sizeof err->msg + 32];
    size_t n = 0;
#define HFX_APPEND(...)                                                   \
    do {                                                                  \
        if (n < sizeof line) {                                            \
            int k = snprintf(line + n, sizeof line - n, __VA_ARGS__);     \
            n += k > 0 ? (size_t) k : 0;                                  \
        }                                                                 \
    } while (0)
    if (err->source[0]) {
        HFX_APPEND("%s", err->source);
        if (err->line > 0) {
            HFX_APPEND(":%d:%d", err->line, err->column);
        }
        HFX_APPEND(": ");
    }
    if (err->pointer[0]) {
        HFX_APPEND("%s: ", err->pointer);
    }
    HFX_APPEND("%s", err->msg[0] ? err->msg : hfx_status_str(err->code));
#undef HFX_APPEND
    hfx__escape_controls(buf, size, line);
    return buf;
}
