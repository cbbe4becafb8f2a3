/* AES keys by meter id, and hex text for keys and telegrams. */
#include <stdio.h>
#include <string.h>
#include "codec/decode/decode.h"

static int hex_digit(char ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Nibble value + 1 by character, 0 for a non-hex one: a table, since this
 * runs for every character `gwd decode -` reads. */
static const uint8_t hex1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
    ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static long decode_hex_rest(const char *text, uint8_t *out, size_t cap, size_t *bad_col);

long decode_hex_text(const char *text, uint8_t *out, size_t cap, size_t *bad_col) {
    size_t n = 0, i = 0;
    /* fast path: pairs of hex digits without spaces; the rest (spaces, the
     * end, a bad character) goes the careful way */
    while (n < cap && hex1[(unsigned char)text[i]] && hex1[(unsigned char)text[i + 1]]) {
        out[n++] = (uint8_t)((hex1[(unsigned char)text[i]] - 1) << 4 | (hex1[(unsigned char)text[i + 1]] - 1));
        i += 2;
    }
    long r = decode_hex_rest(text + i, out + n, cap - n, bad_col);
    if (r < 0) {
        *bad_col += i;
        return r;
    }
    return r + (long)n;
}

static long decode_hex_rest(const char *text, uint8_t *out, size_t cap, size_t *bad_col) {
    size_t n = 0;
    int high = -1;
    size_t high_col = 0;
    for (size_t i = 0; text[i] && text[i] != '\n' && text[i] != '\r'; i++) {
        char ch = text[i];
        if (ch == ' ' || ch == '\t') {
            continue;
        }
        int v = hex_digit(ch);
        if (v < 0 || (high < 0 && n == cap)) {
            *bad_col = i;
            return -1;
        }
        if (high < 0) {
            high = v, high_col = i;
        } else {
            out[n++] = (uint8_t)(high << 4 | v);
            high = -1;
        }
    }
    if (high >= 0) {
        *bad_col = high_col;
        return -1;
    }
    return (long)n;
}

bool decode_parse_key(const char *hex, uint8_t key[OMS_KEY_LEN]) {
    uint8_t tmp[OMS_KEY_LEN + 1];
    size_t bad;
    long n = decode_hex_text(hex, tmp, sizeof tmp, &bad);
    if (n != OMS_KEY_LEN)
        return false;
    memcpy(key, tmp, OMS_KEY_LEN);
    return true;
}

/* 8 decimal (BCD) digits -> BCD value. */
static bool parse_id(const char *s, size_t n, uint32_t *id) {
    if (n != 8)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint32_t)d;
    }
    *id = v;
    return true;
}

/* First index whose id is >= id: the keys are kept sorted, so a lookup is a
 * binary search (a linear one cost most of `gwd decode` with many meters). */
static size_t lower_bound(const decode_keys *k, uint32_t id) {
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->keys[mid].id_bcd < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool decode_keys_add_line(decode_keys *k, const char *line, char *why, size_t why_cap) {
    size_t i = 0;
    while (line[i] == ' ' || line[i] == '\t')
        i++;
    if (!line[i] || line[i] == '#' || line[i] == '\n' || line[i] == '\r')
        return true;
    size_t id_start = i;
    while (line[i] && line[i] != ' ' && line[i] != '\t')
        i++;
    uint32_t id;
    if (!parse_id(line + id_start, i - id_start, &id)) {
        snprintf(why, why_cap, "%zu: meter id must be 8 digits", id_start + 1);
        return false;
    }
    while (line[i] == ' ' || line[i] == '\t')
        i++;
    uint8_t key[OMS_KEY_LEN];
    if (!decode_parse_key(line + i, key)) {
        snprintf(why, why_cap, "%zu: key must be 32 hex digits", i + 1);
        return false;
    }
    size_t at = lower_bound(k, id);
    if (at < k->n && k->keys[at].id_bcd == id)
        return true; /* the first line for a meter wins */
    if (k->n == DECODE_MAX_KEYS) {
        snprintf(why, why_cap, "%zu: more than %d keys", id_start + 1, DECODE_MAX_KEYS);
        return false;
    }
    memmove(&k->keys[at + 1], &k->keys[at], (k->n - at) * sizeof k->keys[0]);
    k->keys[at].id_bcd = id;
    memcpy(k->keys[at].key, key, OMS_KEY_LEN);
    k->n++;
    return true;
}

const uint8_t *decode_keys_find(const decode_keys *k, uint32_t id_bcd) {
    size_t at = lower_bound(k, id_bcd);
    if (at < k->n && k->keys[at].id_bcd == id_bcd)
        return k->keys[at].key;
    return k->has_default ? k->default_key : NULL;
}
