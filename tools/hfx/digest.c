/*
 * digest.c -- the digests `hfx digest` and `hfx patchset verify` print (pyhf.utils.digest: md5,
 * sha1, sha256 of the workspace's sorted compact JSON), computed by OpenSSL's libcrypto (EVP).
 */
#include "digest.h"

#include "json-out.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char * const digest_names = "md5, sha1, sha256";

bool digest_hex(const char * name, const unsigned char * data, size_t len, char * hex) {
    const EVP_MD * md = strcmp(name, "md5") == 0    ? EVP_md5()
                        : strcmp(name, "sha1") == 0 ? EVP_sha1()
                        : strcmp(name, "sha256") == 0 ? EVP_sha256()
                                                      : NULL;
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int  n = 0;
    if (!md || !EVP_Digest(data, len, out, &n, md, NULL)) {
        return false;
    }
    for (unsigned int i = 0; i < n; i++) {
        snprintf(hex + 2 * i, 3, "%02x", out[i]);
    }
    return true;
}

bool digest_json(const char * name, const json_t * v, char * hex) {
    char * text = NULL;
    size_t len  = 0;
    FILE * mem  = open_memstream(&text, &len);
    if (!mem) {
        return false;
    }
    jout_write_sorted_compact(mem, v, false);
    bool ok = fclose(mem) == 0 && digest_hex(name, (const unsigned char *) text, len, hex);
    free(text);
    return ok;
}
