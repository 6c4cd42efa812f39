/*
 * digest.h -- the message digests `pyhf digest` and pyhf's patchset metadata use (md5, sha1,
 * sha256), by OpenSSL's libcrypto: they name a workspace, they protect nothing.
 */
#ifndef HFX_CLI_DIGEST_H
#define HFX_CLI_DIGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The algorithms known, as Python's hashlib names them, for messages: "md5, sha1, sha256". */
extern const char * const digest_names;

/* Lower-case hex digest of data[0..len) with algorithm name ("md5", "sha1", "sha256") into hex
 * (at least 65 bytes); false for an unknown name. */
bool digest_hex(const char * name, const unsigned char * data, size_t len, char * hex);

/* pyhf.utils.digest(v, algorithm=name): the digest of json.dumps(v, sort_keys=True,
 * ensure_ascii=False) into hex; false for an unknown name or out of memory. */
bool digest_json(const char * name, const json_t * v, char * hex);

#endif /* HFX_CLI_DIGEST_H */
