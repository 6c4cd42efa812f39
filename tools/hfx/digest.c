/*
 * digest.c -- md5 (RFC 1321), sha1 and sha256 (FIPS 180-4) over one buffer, for `hfx digest` and
 * `hfx patchset verify`. The three share the Merkle-Damgard padding (a 1 bit, zeros, the bit length
 * in the last 8 bytes: little-endian for md5, big-endian for the SHAs), done once in pad_blocks.
 */
#include "digest.h"

#include "json-out.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char * const digest_names = "md5, sha1, sha256";

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static uint32_t be32(const unsigned char * p) {
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static uint32_t le32(const unsigned char * p) {
    return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

typedef void (*block_fn)(uint32_t * h, const unsigned char * block);

/* Runs block over data and its padding (64-byte blocks). */
static void pad_blocks(const unsigned char * data, size_t len, bool little, uint32_t * h, block_fn block) {
    size_t full = len / 64;
    for (size_t i = 0; i < full; i++) {
        block(h, data + 64 * i);
    }
    unsigned char tail[128] = {0};
    size_t        rest      = len - 64 * full;
    memcpy(tail, data + 64 * full, rest);
    tail[rest]      = 0x80;
    size_t   n      = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits   = (uint64_t) len * 8;
    for (int i = 0; i < 8; i++) {
        tail[little ? n - 8 + (size_t) i : n - 1 - (size_t) i] = (unsigned char) (bits >> (8 * i));
    }
    for (size_t off = 0; off < n; off += 64) {
        block(h, tail + off);
    }
}

static void md5_block(uint32_t * h, const unsigned char * p) {
    static const int      S[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
    /* K[i] = floor(2^32 |sin(i + 1)|) (RFC 1321, 3.4) */
    static const uint32_t K[64] = {
            0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
            0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
            0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
            0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
            0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
            0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
            0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
            0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
    uint32_t m[16];
    for (int i = 0; i < 16; i++) {
        m[i] = le32(p + 4 * i);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int      g;
        int      round = i / 16;
        switch (round) {
        case 0: f = (b & c) | (~b & d); g = i; break;
        case 1: f = (d & b) | (~d & c); g = (5 * i + 1) % 16; break;
        case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16; break;
        default: f = c ^ (b | ~d); g = (7 * i) % 16; break;
        }
        uint32_t t = d;
        d          = c;
        c          = b;
        b          = b + rol(a + f + K[i] + m[g], S[round][i % 4]);
        a          = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

static void sha1_block(uint32_t * h, const unsigned char * p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) {
        w[i] = be32(p + 4 * i);
    }
    for (int i = 16; i < 80; i++) {
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d), k = 0x5a827999;
        } else if (i < 40) {
            f = b ^ c ^ d, k = 0x6ed9eba1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d, k = 0xca62c1d6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha256_block(uint32_t * h, const unsigned char * p) {
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = be32(p + 4 * i);
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i]        = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

bool digest_hex(const char * name, const unsigned char * data, size_t len, char * hex) {
    uint32_t h[8];
    int      n_words;
    bool     little = false;
    if (strcmp(name, "md5") == 0) {
        const uint32_t init[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
        memcpy(h, init, sizeof init);
        n_words = 4, little = true;
        pad_blocks(data, len, true, h, md5_block);
    } else if (strcmp(name, "sha1") == 0) {
        const uint32_t init[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
        memcpy(h, init, sizeof init);
        n_words = 5;
        pad_blocks(data, len, false, h, sha1_block);
    } else if (strcmp(name, "sha256") == 0) {
        const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        memcpy(h, init, sizeof init);
        n_words = 8;
        pad_blocks(data, len, false, h, sha256_block);
    } else {
        return false;
    }
    for (int i = 0; i < n_words; i++) { /* md5 prints its words' bytes little-endian */
        for (int k = 0; k < 4; k++) {
            unsigned byte = little ? (h[i] >> (8 * k)) & 0xff : (h[i] >> (24 - 8 * k)) & 0xff;
            snprintf(hex + 8 * i + 2 * k, 3, "%02x", byte);
        }
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
