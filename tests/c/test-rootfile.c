/*
 * test-rootfile.c -- the ROOT-file writer and reader (src/io/) against each other, and the reader on
 * damaged files: every truncation and single-byte damage of a written file opens and reads without
 * a crash or a sanitizer report (this test runs under ASan + UBSan in CI), and the fuzz corpora
 * (tests/fuzz/) are replayed through both readers. pyhf/uproot/ROOT agreement is in
 * tests/python/test_xml_io.py.
 */
#include "hfx-test.h"
#include "io/io.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char * slurp(const char * path, size_t * n) {
    FILE * f = fopen(path, "rb");
    ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    *n                  = (size_t) ftell(f);
    unsigned char * buf = malloc(*n + 1);
    fseek(f, 0, SEEK_SET);
    ASSERT(fread(buf, 1, *n, f) == *n);
    fclose(f);
    return buf;
}

/* Opens buf and reads each histogram; returns how many read. */
static int read_all(const unsigned char * buf, size_t n) {
    static const char * const names[] = {"small", "big", "plain"};
    struct hfx__root *        f        = NULL;
    struct hfx_error          err      = {0};
    if (hfx__root_open_memory(buf, n, "t.root", &f, &err) != HFX_OK) {
        ASSERT(err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL);
        return 0;
    }
    int ok = 0;
    for (size_t i = 0; i < 3; i++) {
        double *v = NULL, *e = NULL;
        size_t  k = 0;
        if (hfx__root_read_hist(f, names[i], &v, &e, &k, &err) == HFX_OK) {
            ok++;
        } else {
            ASSERT(err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL);
        }
        free(v);
        free(e);
    }
    hfx__root_close(f);
    return ok;
}

static void replay(const char * dir, bool xml) {
    DIR * d = opendir(dir);
    ASSERT(d != NULL);
    int n_files = 0;
    for (struct dirent * e; (e = readdir(d));) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t           n   = 0;
        unsigned char *  buf = slurp(path, &n);
        struct hfx_error err = {0};
        if (xml) {
            (void) hfx__xml_check_memory((const char *) buf, n, &err);
        } else {
            (void) read_all(buf, n);
        }
        free(buf);
        n_files++;
    }
    closedir(d);
    ASSERT(n_files > 0);
}

int main(void) {
    const char * path = "test-rootfile.root";
    double       small[3] = {1.5, 0.0, 1e300}, small_err[3] = {0.5, 0.0, 1e150};
    double       big[1000], plain[2] = {7, 8};
    for (int i = 0; i < 1000; i++) {
        big[i] = i * 0.25;
    }
    struct hfx__root_writer * w   = NULL;
    struct hfx_error          err = {0};
    ASSERT(hfx__root_writer_open(path, &w, &err) == HFX_OK);
    ASSERT(hfx__root_writer_add_th1d(w, "small", small, small_err, 3, &err) == HFX_OK);
    ASSERT(hfx__root_writer_add_th1d(w, "big", big, NULL, 1000, &err) == HFX_OK);
    ASSERT(hfx__root_writer_add_th1d(w, "plain", plain, NULL, 2, &err) == HFX_OK);
    ASSERT(hfx__root_writer_add_th1d(w, "plain", plain, NULL, 2, &err) == HFX_ERR_MODEL); /* duplicate */
    ASSERT(hfx__root_writer_close(w, &err) == HFX_OK);

    /* Read back: values exact, errors sqrt(sumw2) or sqrt(values). */
    struct hfx__root * f = NULL;
    ASSERT(hfx__root_open(path, &f, &err) == HFX_OK);
    double *v = NULL, *e = NULL;
    size_t  n = 0;
    ASSERT(hfx__root_read_hist(f, "small", &v, &e, &n, &err) == HFX_OK);
    ASSERT_EQ(n, 3);
    for (int i = 0; i < 3; i++) {
        ASSERT(v[i] == small[i]);
        ASSERT_NEAR_REL(e[i], small_err[i], 1e-15);
    }
    free(v), free(e);
    ASSERT(hfx__root_read_hist(f, "big", &v, &e, &n, &err) == HFX_OK); /* zlib-compressed */
    ASSERT_EQ(n, 1000);
    for (int i = 0; i < 1000; i++) {
        ASSERT(v[i] == big[i] && e[i] == sqrt(big[i]));
    }
    free(v), free(e);
    ASSERT(hfx__root_read_hist(f, "missing", &v, &e, &n, &err) == HFX_ERR_NOT_FOUND);
    ASSERT(strstr(err.msg, "missing") != NULL);
    hfx__root_close(f);

    /* Damage: every truncation, and every byte set to 0x00, 0xff and 0x7f. */
    size_t          size = 0;
    unsigned char * raw  = slurp(path, &size);
    ASSERT_EQ(read_all(raw, size), 3);
    for (size_t len = 0; len < size; len++) {
        unsigned char * cut = malloc(len + 1); /* a buffer of exactly len bytes, so ASan sees overreads */
        memcpy(cut, raw, len);
        ASSERT(read_all(cut, len) < 3 || len >= size - 100); /* the last bytes hold only the free list */
        free(cut);
    }
    static const unsigned char values[] = {0x00, 0xff, 0x7f};
    for (size_t at = 0; at < size; at++) {
        for (size_t k = 0; k < sizeof values; k++) {
            unsigned char keep = raw[at];
            raw[at]            = values[k];
            (void) read_all(raw, size);
            raw[at] = keep;
        }
    }
    free(raw);
    remove(path);

    replay(HFX_TEST_DATA "/../fuzz/corpus/rootfile", false);
    replay(HFX_TEST_DATA "/../fuzz/corpus/xml", true);
    printf("test-rootfile: ok (%zu-byte file, every truncation and byte damage)\n", size);
    return 0;
}
