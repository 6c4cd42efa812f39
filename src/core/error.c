/*
 * error.c -- status strings and the caller-owned error report.
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
    snprintf(err->pointer, sizeof err->pointer, "%s", pointer ? pointer : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void hfx__format(char * buf, size_t size, const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

void hfx__error_source(struct hfx_error * err, const char * source) {
    if (err && source && err->source[0] == '\0') {
        snprintf(err->source, sizeof err->source, "%s", source);
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
    size_t n = 0;
#define HFX_APPEND(...)                                                   \
    do {                                                                  \
        if (n < size) {                                                   \
            int k = snprintf(buf + n, size - n, __VA_ARGS__);             \
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
    return buf;
}
