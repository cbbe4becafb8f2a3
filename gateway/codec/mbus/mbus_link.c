/* EN 13757-2 link layer: recognise, check and build FT1.2 frames. */
#include "codec/mbus/mbus_link.h"

#include <string.h>
#include "codec/mbus/mbus_internal.h"

#define START_SHORT 0x10
#define START_LONG 0x68
#define STOP 0x16
#define ACK 0xE5

/* Arithmetic sum modulo 256. Eight bytes at a time: the even and the odd
 * bytes of a 64-bit word go into four 16-bit lanes, then the lanes are added
 * (a byte at a time cost most of the link layer's time). Up to 128 words a
 * lane stays below 128 * 510 < 65536, so no lane carries into the next; a
 * frame has at most 255 bytes to sum. */
static uint8_t checksum(const uint8_t *bytes, size_t n) {
    const uint64_t even = 0x00FF00FF00FF00FFULL;
    unsigned sum = 0;
    size_t i = 0;
    if (n <= 128 * 8) {
        uint64_t lanes = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, bytes + i, 8);
            lanes += (w & even) + ((w >> 8) & even);
        }
        sum = (unsigned)((lanes & 0xFFFF) + ((lanes >> 16) & 0xFFFF) + ((lanes >> 32) & 0xFFFF) +
                         (lanes >> 48));
    }
    for (; i < n; i++)
        sum += bytes[i];
    return (uint8_t)sum;
}

/* Check the parts of a long/control header that are already in the buffer, so
 * a streaming receiver learns about garbage before waiting for L+6 bytes. */
static mbus_err_code check_long_header(const uint8_t *buf, size_t len, mbus_error *err) {
    if (len >= 2 && buf[1] < 3)
        return mbus_fail(err, MBUS_ERR_LENGTH, 1, "L field 0x%02X is below 3", buf[1]);
    if (len >= 3 && buf[2] != buf[1])
        return mbus_fail(err, MBUS_ERR_LENGTH, 2, "second L field 0x%02X differs from 0x%02X",
                         buf[2], buf[1]);
    if (len >= 4 && buf[3] != START_LONG)
        return mbus_fail(err, MBUS_ERR_START, 3, "second start byte is 0x%02X, not 0x68", buf[3]);
    return MBUS_OK;
}

size_t mbus_frame_needed(const uint8_t *buf, size_t len, mbus_error *err) {
    mbus_ok(err);
    if (len == 0)
        return 0;
    switch (buf[0]) {
    case ACK: return 1;
    case START_SHORT: return 5;
    case START_LONG:
        if (check_long_header(buf, len, err) != MBUS_OK)
            return 0;
        return len < 2 ? 0 : (size_t)buf[1] + 6;
    default:
        mbus_fail(err, MBUS_ERR_START, 0, "start byte 0x%02X is not E5, 10 or 68", buf[0]);
        return 0;
    }
}

static mbus_err_code parse_short(const uint8_t *buf, size_t len, mbus_frame *out, mbus_error *err) {
    if (len < 5)
        return mbus_fail(err, MBUS_ERR_INCOMPLETE, len, "short frame needs 5 bytes, have %zu", len);
    if (checksum(buf + 1, 2) != buf[3])
        return mbus_fail(err, MBUS_ERR_CHECKSUM, 3, "checksum 0x%02X, expected 0x%02X", buf[3],
                         checksum(buf + 1, 2));
    if (buf[4] != STOP)
        return mbus_fail(err, MBUS_ERR_STOP, 4, "stop byte is 0x%02X, not 0x16", buf[4]);
    out->kind = MBUS_FRAME_SHORT;
    out->c = buf[1];
    out->a = buf[2];
    out->frame_len = 5;
    return MBUS_OK;
}

static mbus_err_code parse_long(const uint8_t *buf, size_t len, mbus_frame *out, mbus_error *err) {
    mbus_err_code rc = check_long_header(buf, len, err);
    if (rc != MBUS_OK)
        return rc;
    if (len < 4)
        return mbus_fail(err, MBUS_ERR_INCOMPLETE, len, "long frame header needs 4 bytes, have %zu",
                         len);
    size_t l = buf[1];
    size_t total = l + 6;
    if (len < total)
        return mbus_fail(err, MBUS_ERR_INCOMPLETE, len, "frame needs %zu bytes, have %zu", total, len);
    uint8_t cs = checksum(buf + 4, l);
    if (cs != buf[4 + l])
        return mbus_fail(err, MBUS_ERR_CHECKSUM, 4 + l, "checksum 0x%02X, expected 0x%02X",
                         buf[4 + l], cs);
    if (buf[5 + l] != STOP)
        return mbus_fail(err, MBUS_ERR_STOP, 5 + l, "stop byte is 0x%02X, not 0x16", buf[5 + l]);
    out->kind = l == 3 ? MBUS_FRAME_CONTROL : MBUS_FRAME_LONG;
    out->c = buf[4];
    out->a = buf[5];
    out->ci = buf[6];
    out->data = buf + 7;
    out->data_len = l - 3;
    out->frame_len = total;
    return MBUS_OK;
}

mbus_err_code mbus_frame_parse(const uint8_t *buf, size_t len, mbus_frame *out, mbus_error *err) {
    mbus_ok(err);
    out->kind = MBUS_FRAME_ACK;
    out->c = out->a = out->ci = 0;
    out->data = NULL;
    out->data_len = 0;
    out->frame_len = 0;
    if (len == 0)
        return mbus_fail(err, MBUS_ERR_INCOMPLETE, 0, "no bytes");
    switch (buf[0]) {
    case ACK:
        out->frame_len = 1;
        return MBUS_OK;
    case START_SHORT: return parse_short(buf, len, out, err);
    case START_LONG: return parse_long(buf, len, out, err);
    default:
        return mbus_fail(err, MBUS_ERR_START, 0, "start byte 0x%02X is not E5, 10 or 68", buf[0]);
    }
}

mbus_err_code mbus_frame_parse_exact(const uint8_t *buf, size_t len, mbus_frame *out,
                                     mbus_error *err) {
    mbus_err_code rc = mbus_frame_parse(buf, len, out, err);
    if (rc == MBUS_OK && len > out->frame_len)
        return mbus_fail(err, MBUS_ERR_TOO_LONG, out->frame_len,
                         "%zu bytes after the end of the frame", len - out->frame_len);
    return rc;
}

size_t mbus_encode_ack(uint8_t *out, size_t cap) {
    if (cap < 1)
        return 0;
    out[0] = ACK;
    return 1;
}

size_t mbus_encode_short(uint8_t *out, size_t cap, uint8_t c, uint8_t a) {
    if (cap < 5)
        return 0;
    out[0] = START_SHORT;
    out[1] = c;
    out[2] = a;
    out[3] = (uint8_t)(c + a);
    out[4] = STOP;
    return 5;
}

size_t mbus_encode_long(uint8_t *out, size_t cap, uint8_t c, uint8_t a, uint8_t ci,
                        const uint8_t *data, size_t data_len) {
    size_t l = data_len + 3;
    if (l > 255 || cap < l + 6 || (data_len && !data))
        return 0;
    out[0] = START_LONG;
    out[1] = out[2] = (uint8_t)l;
    out[3] = START_LONG;
    out[4] = c;
    out[5] = a;
    out[6] = ci;
    for (size_t i = 0; i < data_len; i++)
        out[7 + i] = data[i];
    out[4 + l] = checksum(out + 4, l);
    out[5 + l] = STOP;
    return l + 6;
}
