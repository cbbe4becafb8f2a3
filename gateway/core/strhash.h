/* strhash: FNV-1a string hash shared by the hash tables of the core. */
#ifndef GW_STRHASH_H
#define GW_STRHASH_H
#include <stdint.h>

static inline uint64_t strhash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV offset basis */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL; /* FNV prime */
    }
    return h;
}
#endif
