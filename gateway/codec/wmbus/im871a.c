/* IMST iM871A HCI frames (see im871a.h). */
#include "codec/wmbus/im871a.h"

#include <stdio.h>
#include <strings.h>

static const char *const mode_names[] = {"S1", "S1M", "S2", "T1", "T2", "R2",
                                         "C1A", "C1B", "C2A", "C2B", "CT"};
#define N_MODES (sizeof mode_names / sizeof mode_names[0])

const char *im_mode_name(unsigned mode) {
    return mode < N_MODES ? mode_names[mode] : NULL;
}

int im_mode_parse(const char *name) {
    if (strcasecmp(name, "C1") == 0)
        return IM_MODE_C1A;
    if (strcasecmp(name, "C2") == 0)
        return IM_MODE_C2A;
    if (strcasecmp(name, "S1-m") == 0)
        return IM_MODE_S1M;
    if (strcasecmp(name, "C/T") == 0)
        return IM_MODE_CT;
    for (unsigned i = 0; i < N_MODES; i++)
        if (strcasecmp(name, mode_names[i]) == 0)
            return (int)i;
    return -1;
}

uint16_t im_crc16(const uint8_t *data, size_t len) {
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return crc;
}

static size_t optional_len(uint8_t ctrl) {
    return (ctrl & IM_CTRL_TIMESTAMP ? 4u : 0u) + (ctrl & IM_CTRL_RSSI ? 1u : 0u) +
           (ctrl & IM_CTRL_CRC ? 2u : 0u);
}

long im_frame_needed(const uint8_t *buf, size_t n) {
    if (n > 0 && buf[0] != IM_SOF)
        return -1;
    if (n < IM_HEADER_LEN)
        return 0;
    return (long)(IM_HEADER_LEN + buf[3] + optional_len(buf[1] >> 4));
}

static void why_set(char *why, size_t cap, const char *text) {
    if (why && cap)
        snprintf(why, cap, "%s", text);
}

bool im_frame_parse(const uint8_t *buf, size_t n, im_frame *f, char *why, size_t why_cap) {
    long need = im_frame_needed(buf, n);
    if (need <= 0 || (size_t)need != n) {
        why_set(why, why_cap, need < 0 ? "no start of frame (A5)" : "frame length does not match");
        return false;
    }
    f->ctrl = buf[1] >> 4;
    f->endpoint = buf[1] & 0x0F;
    f->msg = buf[2];
    f->len = buf[3];
    f->payload = buf + IM_HEADER_LEN;
    if (f->ctrl & IM_CTRL_RESERVED) {
        why_set(why, why_cap, "reserved control bit set");
        return false;
    }
    size_t pos = IM_HEADER_LEN + f->len;
    f->has_timestamp = f->ctrl & IM_CTRL_TIMESTAMP;
    f->has_rssi = f->ctrl & IM_CTRL_RSSI;
    f->has_crc = f->ctrl & IM_CTRL_CRC;
    f->timestamp = 0;
    f->rssi = 0;
    if (f->has_timestamp) {
        f->timestamp = (uint32_t)buf[pos] | (uint32_t)buf[pos + 1] << 8 |
                       (uint32_t)buf[pos + 2] << 16 | (uint32_t)buf[pos + 3] << 24;
        pos += 4;
    }
    if (f->has_rssi)
        f->rssi = buf[pos++];
    /* The residue check: CRC over data and transmitted CRC, inverted, is 0x0F47. */
    uint16_t residue = f->has_crc ? (uint16_t)~im_crc16(buf + 1, pos + 2 - 1) : 0x0F47;
    if (residue != 0x0F47) {
        why_set(why, why_cap, "CRC16 mismatch");
        return false;
    }
    return true;
}

size_t im_frame_encode(uint8_t *out, size_t cap, uint8_t ctrl, uint8_t endpoint, uint8_t msg,
                       const uint8_t *payload, uint8_t len, uint32_t timestamp, uint8_t rssi) {
    ctrl &= (uint8_t)~IM_CTRL_RESERVED;
    size_t total = IM_HEADER_LEN + len + optional_len(ctrl);
    if (total > cap)
        return 0;
    size_t pos = 0;
    out[pos++] = IM_SOF;
    out[pos++] = (uint8_t)(ctrl << 4 | (endpoint & 0x0F));
    out[pos++] = msg;
    out[pos++] = len;
    for (size_t i = 0; i < len; i++)
        out[pos++] = payload[i];
    if (ctrl & IM_CTRL_TIMESTAMP)
        for (int i = 0; i < 4; i++)
            out[pos++] = (uint8_t)(timestamp >> (8 * i));
    if (ctrl & IM_CTRL_RSSI)
        out[pos++] = rssi;
    if (ctrl & IM_CTRL_CRC) {
        uint16_t crc = (uint16_t)~im_crc16(out + 1, pos - 1);
        out[pos++] = (uint8_t)crc;
        out[pos++] = (uint8_t)(crc >> 8);
    }
    return pos;
}

#define RSSI_AT_MINUS_100 45.0
#define RSSI_AT_0 230.0

double im_rssi_dbm(uint8_t raw) {
    if (raw >= RSSI_AT_0)
        return 0.0;
    return -100.0 + ((double)raw - RSSI_AT_MINUS_100) * 100.0 / (RSSI_AT_0 - RSSI_AT_MINUS_100);
}

uint8_t im_rssi_raw(double dbm) {
    double raw = RSSI_AT_MINUS_100 + (dbm + 100.0) * (RSSI_AT_0 - RSSI_AT_MINUS_100) / 100.0;
    if (raw <= 0)
        return 0;
    if (raw >= RSSI_AT_0)
        return (uint8_t)RSSI_AT_0;
    return (uint8_t)(raw + 0.5);
}

/* Field sizes selected by IIFlag1 and IIFlag2, bit 0 first. */
static const uint8_t flag1_sizes[8] = {1, 1, 1, 2, 4, 1, 1, 1};
static const uint8_t flag2_sizes[8] = {1, 1, 1, 1, 1, 1, 1, 1};

static size_t encode_fields(const im_config *c, uint8_t *out) {
    size_t pos = 0;
    out[pos++] = c->has_link_mode ? 0x02 : 0x00;
    if (c->has_link_mode)
        out[pos++] = c->link_mode;
    uint8_t flag2 = (uint8_t)((c->has_rssi ? 0x10 : 0) | (c->has_timestamp ? 0x20 : 0));
    out[pos++] = flag2;
    if (c->has_rssi)
        out[pos++] = c->rssi_on;
    if (c->has_timestamp)
        out[pos++] = c->timestamp_on;
    return pos;
}

size_t im_config_encode_set(const im_config *c, uint8_t *out, size_t cap) {
    if (cap < 6)
        return 0;
    out[0] = c->save;
    return 1 + encode_fields(c, out + 1);
}

size_t im_config_encode_get(const im_config *c, uint8_t *out, size_t cap) {
    return cap < 5 ? 0 : encode_fields(c, out);
}

bool im_config_parse(const uint8_t *p, size_t n, bool with_save, im_config *c) {
    *c = (im_config){0};
    size_t pos = 0;
    if (with_save) {
        if (n < 1)
            return false;
        c->save = p[pos++] != 0;
    }
    if (pos >= n)
        return false;
    uint8_t flag1 = p[pos++];
    for (int bit = 0; bit < 8; bit++) {
        if (!(flag1 & (1u << bit)))
            continue;
        if (pos + flag1_sizes[bit] > n)
            return false;
        if (bit == 1) {
            c->has_link_mode = true;
            c->link_mode = p[pos];
        }
        pos += flag1_sizes[bit];
    }
    if (pos >= n) /* IIFlag2 is optional */
        return true;
    uint8_t flag2 = p[pos++];
    for (int bit = 0; bit < 8; bit++) {
        if (!(flag2 & (1u << bit)))
            continue;
        if (pos + flag2_sizes[bit] > n)
            return false;
        if (bit == 4)
            c->has_rssi = true, c->rssi_on = p[pos] != 0;
        if (bit == 5)
            c->has_timestamp = true, c->timestamp_on = p[pos] != 0;
        pos += flag2_sizes[bit];
    }
    return true;
}
