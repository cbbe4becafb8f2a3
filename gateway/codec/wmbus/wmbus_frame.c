/* Frame formats A and B (EN 13757-4): where the block CRCs are, checking and
 * removing them, and adding them for the encoder.
 *
 * Format A: block 1 = L C M A (10 bytes) + CRC; then blocks of 16 bytes + CRC,
 * the last one shorter. L counts no CRC bytes.
 * Format B: block 1 (10 bytes) and block 2 (CI + at most 115 bytes) share one
 * CRC after them; an optional block 3 (the rest) has its own. L counts the
 * CRC bytes. A CRC is sent high byte first. */
#include <string.h>
#include "codec/wmbus/wmbus_internal.h"

#define BLOCK1 10
#define BLOCK_A 16
#define B_FIRST 126 /* block 1 + block 2 of format B */

const char *wmbus_format_name(wmbus_format fmt) {
    switch (fmt) {
    case WMBUS_FMT_PLAIN: return "plain";
    case WMBUS_FMT_A: return "A";
    case WMBUS_FMT_B: return "B";
    }
    return "?";
}

static bool crc_ok(const uint8_t *block, size_t n) {
    uint16_t crc = wmbus_crc16(block, n);
    return block[n] == (crc >> 8) && block[n + 1] == (crc & 0xFF);
}

static void put_crc(uint8_t *block, size_t n) {
    uint16_t crc = wmbus_crc16(block, n);
    block[n] = (uint8_t)(crc >> 8);
    block[n + 1] = (uint8_t)crc;
}

/* Total bytes of a format A frame with L data bytes after the L field. */
static size_t format_a_len(unsigned l) {
    size_t rest = l - (BLOCK1 - 1);
    return BLOCK1 + 2 + rest + 2 * ((rest + BLOCK_A - 1) / BLOCK_A);
}

/* Check and strip format A; in holds exactly format_a_len(L) bytes. */
static wmbus_err_code strip_a(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len,
                              wmbus_error *err) {
    if (!crc_ok(in, BLOCK1))
        return wmbus_fail(err, WMBUS_ERR_CRC, BLOCK1, "format A: CRC of block 1 is wrong");
    memcpy(out, in, BLOCK1);
    size_t o = BLOCK1, i = BLOCK1 + 2;
    while (i < len) {
        size_t n = len - i - 2 < BLOCK_A ? len - i - 2 : BLOCK_A;
        if (!crc_ok(in + i, n))
            return wmbus_fail(err, WMBUS_ERR_CRC, i + n, "format A: CRC of the block at byte %zu is wrong", i);
        memcpy(out + o, in + i, n);
        o += n;
        i += n + 2;
    }
    *out_len = o;
    return WMBUS_OK;
}

/* Format B CRCs of a frame of len = L + 1 bytes: true when they are right. */
static bool b_crcs_ok(const uint8_t *in, size_t len, size_t *bad) {
    if (len <= B_FIRST + 2) {
        *bad = len - 2;
        return len >= BLOCK1 + 3 && crc_ok(in, len - 2);
    }
    *bad = B_FIRST;
    if (!crc_ok(in, B_FIRST))
        return false;
    *bad = len - 2;
    return len >= B_FIRST + 5 && crc_ok(in + B_FIRST + 2, len - B_FIRST - 4);
}

static void strip_b(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len) {
    if (len <= B_FIRST + 2) {
        memcpy(out, in, len - 2);
        *out_len = len - 2;
        return;
    }
    memcpy(out, in, B_FIRST);
    memcpy(out + B_FIRST, in + B_FIRST + 2, len - B_FIRST - 4);
    *out_len = len - 4;
}

wmbus_err_code wmbus_frame_strip(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                 size_t *out_len, wmbus_format *fmt, wmbus_error *err) {
    wmbus_ok(err);
    if (cap < len)
        return wmbus_fail(err, WMBUS_ERR_ARGUMENT, 0, "output buffer too small");
    if (len < BLOCK1 + 1)
        return wmbus_fail(err, WMBUS_ERR_LENGTH, len, "wireless frame of %zu bytes: needs at least %d",
                          len, BLOCK1 + 1);
    unsigned l = in[0];
    size_t bad = 0;
    if (l >= BLOCK1 && len == format_a_len(l)) {
        *fmt = WMBUS_FMT_A;
        if (strip_a(in, len, out, out_len, err) != WMBUS_OK)
            return err ? err->code : WMBUS_ERR_CRC;
    } else if (len == (size_t)l + 1 && b_crcs_ok(in, len, &bad)) {
        *fmt = WMBUS_FMT_B;
        strip_b(in, len, out, out_len);
    } else if (len == (size_t)l + 1) {
        *fmt = WMBUS_FMT_PLAIN;
        memcpy(out, in, len);
        *out_len = len;
    } else {
        return wmbus_fail(err, WMBUS_ERR_LENGTH, 0,
                          "L field %u fits neither %zu bytes without CRCs nor with format A CRCs",
                          l, len);
    }
    out[0] = (uint8_t)(*out_len - 1);
    return WMBUS_OK;
}

/* Receivers that append bytes (an RSSI, a status, a stick's own CRC) make
 * the frame longer than L says. The frame is the part L covers: format A
 * when its first block CRC is right (then every CRC must be), else format B
 * when its CRCs are right, else a frame without CRCs. */
wmbus_err_code wmbus_frame_strip_prefix(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                        size_t *out_len, wmbus_format *fmt, size_t *used,
                                        wmbus_error *err) {
    *used = len;
    wmbus_err_code rc = wmbus_frame_strip(in, len, out, cap, out_len, fmt, err);
    unsigned l = len ? in[0] : 0;
    if (rc != WMBUS_ERR_LENGTH || len < BLOCK1 + 1 || l < BLOCK1 || len <= (size_t)l + 1)
        return rc;
    wmbus_ok(err);
    size_t la = format_a_len(l), bad = 0;
    if (la < len && crc_ok(in, BLOCK1)) {
        *fmt = WMBUS_FMT_A;
        *used = la;
        if (strip_a(in, la, out, out_len, err) != WMBUS_OK)
            return err ? err->code : WMBUS_ERR_CRC;
    } else if (b_crcs_ok(in, (size_t)l + 1, &bad)) {
        *fmt = WMBUS_FMT_B;
        *used = (size_t)l + 1;
        strip_b(in, *used, out, out_len);
    } else {
        *fmt = WMBUS_FMT_PLAIN;
        *used = (size_t)l + 1;
        memcpy(out, in, *used);
        *out_len = *used;
    }
    out[0] = (uint8_t)(*out_len - 1);
    return WMBUS_OK;
}

size_t wmbus_frame_add_crcs(const uint8_t *plain, size_t len, wmbus_format fmt, uint8_t *out,
                            size_t cap) {
    if (len < BLOCK1 + 1 || len > 256)
        return 0;
    if (fmt == WMBUS_FMT_PLAIN) {
        if (cap < len)
            return 0;
        memcpy(out, plain, len);
        return len;
    }
    if (fmt == WMBUS_FMT_A) {
        size_t total = format_a_len((unsigned)(len - 1));
        if (cap < total)
            return 0;
        memcpy(out, plain, BLOCK1);
        put_crc(out, BLOCK1);
        size_t o = BLOCK1 + 2;
        for (size_t i = BLOCK1; i < len; i += BLOCK_A) {
            size_t n = len - i < BLOCK_A ? len - i : BLOCK_A;
            memcpy(out + o, plain + i, n);
            put_crc(out + o, n);
            o += n + 2;
        }
        out[0] = (uint8_t)(len - 1);
        return o;
    }
    size_t total = len + (len > B_FIRST ? 4 : 2);
    if (cap < total || total > 256)
        return 0;
    if (len <= B_FIRST) {
        memcpy(out, plain, len);
        out[0] = (uint8_t)(total - 1);
        put_crc(out, len);
        return total;
    }
    memcpy(out, plain, B_FIRST);
    out[0] = (uint8_t)(total - 1);
    put_crc(out, B_FIRST);
    memcpy(out + B_FIRST + 2, plain + B_FIRST, len - B_FIRST);
    put_crc(out + B_FIRST + 2, len - B_FIRST);
    return total;
}
