/*
 * test-bad-model.c -- every workspace of tests/data/bad-model/ must fail hfx_model_create with
 * exactly the message listed in its expected.tsv, and every file there must be listed.
 */
#include "hfx-test.h"

#include "hfx/hfx.h"

#include <dirent.h>
#include <unistd.h>

int main(void) {
    ASSERT(chdir(HFX_TEST_DATA "/bad-model") == 0); /* messages name files relative to it */
    FILE * f = fopen("expected.tsv", "r");
    ASSERT(f != NULL);
    char * line = NULL;
    size_t cap  = 0;
    int    n    = 0;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char * tab                = strchr(line, '\t');
        ASSERT(tab != NULL);
        *tab                 = '\0';
        const char *     file = line, *expected = tab + 1;
        struct hfx_error err;
        hfx_workspace_t  ws;
        hfx_model_t      m = NULL;
        ASSERT_EQ(hfx_workspace_load(file, &ws, &err), HFX_OK);
        enum hfx_status st = hfx_model_create(ws, NULL, &m, &err);
        ASSERT(st != HFX_OK && m == NULL);
        char buf[2048];
        ASSERT_STREQ(hfx_error_format(&err, buf, sizeof buf), expected);
        hfx_workspace_free(ws);
        ++n;
    }
    free(line);
    fclose(f);
    int      n_files = 0;
    DIR *    d       = opendir(".");
    struct dirent * ent;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        n_files += len > 5 && strcmp(ent->d_name + len - 5, ".json") == 0;
    }
    closedir(d);
    ASSERT_EQ(n, n_files);
    printf("%d model-level bad inputs give their expected errors\n", n);
    return 0;
}
