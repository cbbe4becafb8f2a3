/* dlms_hdlc: HDLC frame format type 3 (see dlms_hdlc.h). */
#include "codec/dlms/dlms_hdlc.h"

#include <string.h>

const uint8_t HDLC_LLC_REQUEST[3] = {0xE6, 0xE6, 0x00};
const uint8_t HDLC_LLC_RESPONSE[3] = {0xE6, 0xE7, 0x00};

/* CRC-16/X.25: reflected polynomial 0x8408, init 0xFFFF, final complement. */
uint16_t hdlc_crc16(const uint8_t *bytes, size_t len) {
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc ^= bytes[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

hdlc_addr hdlc_client_addr(uint8_t client) {
    return (hdlc_addr){.upper = client, .lower = 0, .size = 1};
}

hdlc_addr hdlc_server_addr(uint16_t logical, uint16_t physical, uint8_t size) {
    if (size == 0)
        size = (logical > 0x7F || physical > 0x7F) ? 4 : 2;
    return (hdlc_addr){.upper = logical, .lower = physical, .size = size};
}

bool hdlc_addr_equal(const hdlc_addr *a, const hdlc_addr *b) {
    return a->size == b->size && a->upper == b->upper && (a->size == 1 || a->lower == b->lower);
}

/* Write an address: 7 bits per byte, extension bit 1 on the last. */
static size_t put_addr(uint8_t *out, const hdlc_addr *a) {
    switch (a->size) {
    case 1:
        if (a->upper > 0x7F) return 0;
        out[0] = (uint8_t)(a->upper << 1 | 1);
        return 1;
    case 2:
        if (a->upper > 0x7F || a->lower > 0x7F) return 0;
        out[0] = (uint8_t)(a->upper << 1);
        out[1] = (uint8_t)(a->lower << 1 | 1);
        return 2;
    case 4:
        if (a->upper > 0x3FFF || a->lower > 0x3FFF) return 0;
        out[0] = (uint8_t)((a->upper >> 7) << 1);
        out[1] = (uint8_t)((a->upper & 0x7F) << 1);
        out[2] = (uint8_t)((a->lower >> 7) << 1);
        out[3] = (uint8_t)((a->lower & 0x7F) << 1 | 1);
        return 4;
    default:
        return 0;
    }
}

/* Read an address; returns bytes used, 0 when malformed (no end bit, 3 bytes). */
static size_t get_addr(const uint8_t *in, size_t len, hdlc_addr *a) {
    size_t n = 0;
    while (n < len && n < 4 && !(in[n] & 1)) n++;
    if (n >= len || n >= 4) return 0;
    n++;
    switch (n) {
    case 1: *a = (hdlc_addr){.upper = in[0] >> 1, .size = 1}; break;
    case 2: *a = (hdlc_addr){.upper = in[0] >> 1, .lower = in[1] >> 1, .size = 2}; break;
    case 4:
        *a = (hdlc_addr){.upper = (uint16_t)((in[0] >> 1) << 7 | in[1] >> 1),
                         .lower = (uint16_t)((in[2] >> 1) << 7 | in[3] >> 1), .size = 4};
        break;
    default: return 0;
    }
    return n;
}

size_t hdlc_encode(uint8_t *out, size_t cap, const hdlc_addr *dest, const hdlc_addr *src,
                   uint8_t control, bool segmented, const uint8_t *info, size_t info_len) {
    uint8_t addr[8];
    size_t nd = put_addr(addr, dest);
    size_t ns = nd ? put_addr(addr + nd, src) : 0;
    if (!nd || !ns) return 0;
    size_t body = 2 + nd + ns + 1 + 2 + (info_len ? info_len + 2 : 0); /* between flags */
    if (body > 0x7FF || body + 2 > cap) return 0;
    size_t p = 0;
    out[p++] = HDLC_FLAG;
    out[p++] = (uint8_t)(0xA0 | (segmented ? 0x08 : 0) | (body >> 8));
    out[p++] = (uint8_t)body;
    memcpy(out + p, addr, nd + ns);
    p += nd + ns;
    out[p++] = control;
    uint16_t hcs = hdlc_crc16(out + 1, p - 1);
    out[p++] = (uint8_t)hcs;
    out[p++] = (uint8_t)(hcs >> 8);
    if (info_len) {
        memcpy(out + p, info, info_len);
        p += info_len;
        uint16_t fcs = hdlc_crc16(out + 1, p - 1);
        out[p++] = (uint8_t)fcs;
        out[p++] = (uint8_t)(fcs >> 8);
    }
    out[p++] = HDLC_FLAG;
    return p;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

hdlc_result hdlc_decode(const uint8_t *buf, size_t len, hdlc_frame *f, size_t *used,
                        const char **why) {
    size_t start = 0;
    /* Skip anything before an opening flag; a flag directly followed by a flag is the
     * closing flag of a previous frame (frames may share flags). */
    while (start < len && (buf[start] != HDLC_FLAG ||
                           (start + 1 < len && buf[start + 1] == HDLC_FLAG)))
        start++;
    *used = start;
    if (len - start < 3) return HDLC_NEED_MORE;
    const uint8_t *fr = buf + start + 1;
    if ((fr[0] & 0xF0) != 0xA0) {
        *used = start + 1;
        *why = "not frame format type 3";
        return HDLC_BAD;
    }
    size_t body = (size_t)(fr[0] & 0x07) << 8 | fr[1];
    if (body < 7) {
        *used = start + 1;
        *why = "frame length too short";
        return HDLC_BAD;
    }
    if (len - start < body + 2) return HDLC_NEED_MORE;
    *used = start + body + 2;
    if (fr[body] != HDLC_FLAG) {
        *used = start + 1;
        *why = "no closing flag where the length says";
        return HDLC_BAD;
    }
    size_t p = 2, n;
    if (!(n = get_addr(fr + p, body - p, &f->dest))) { *why = "bad destination address"; return HDLC_BAD; }
    p += n;
    if (!(n = get_addr(fr + p, body - p, &f->src))) { *why = "bad source address"; return HDLC_BAD; }
    p += n;
    if (p + 3 > body) { *why = "frame too short for its header"; return HDLC_BAD; }
    f->control = fr[p++];
    if (le16(fr + p) != hdlc_crc16(fr, p)) { *why = "HCS mismatch"; return HDLC_BAD; }
    p += 2;
    f->segmented = (fr[0] & 0x08) != 0;
    f->info = NULL;
    f->info_len = 0;
    if (p == body) return HDLC_OK;
    if (body - p < 3) { *why = "information field without FCS"; return HDLC_BAD; }
    if (le16(fr + body - 2) != hdlc_crc16(fr, body - 2)) { *why = "FCS mismatch"; return HDLC_BAD; }
    f->info = fr + p;
    f->info_len = body - 2 - p;
    return HDLC_OK;
}

hdlc_kind hdlc_control_kind(uint8_t c) {
    if (!(c & 1)) return HDLC_KIND_I;
    if ((c & 0x0F) == 0x01) return HDLC_KIND_RR;
    if ((c & 0x0F) == 0x05) return HDLC_KIND_RNR;
    switch (c & ~HDLC_PF) {
    case HDLC_SNRM & ~HDLC_PF: return HDLC_KIND_SNRM;
    case HDLC_UA & ~HDLC_PF: return HDLC_KIND_UA;
    case HDLC_DISC & ~HDLC_PF: return HDLC_KIND_DISC;
    case HDLC_DM & ~HDLC_PF: return HDLC_KIND_DM;
    case HDLC_FRMR & ~HDLC_PF: return HDLC_KIND_FRMR;
    case HDLC_UI & ~HDLC_PF: return HDLC_KIND_UI;
    default: return HDLC_KIND_UNKNOWN;
    }
}

const char *hdlc_kind_name(hdlc_kind k) {
    static const char *const names[] = {"I", "RR", "RNR", "SNRM", "UA", "DISC", "DM", "FRMR",
                                        "UI", "?"};
    return names[k];
}

/* One parameter: id, length, big-endian value in the fewest bytes the
 * standard allows (1 for window, 1 or 2 for lengths; we always send 2 for lengths
 * above 255 and 1 below). */
static size_t put_param(uint8_t *out, uint8_t id, unsigned value) {
    out[0] = id;
    if (value > 0xFF) {
        out[1] = 2;
        out[2] = (uint8_t)(value >> 8);
        out[3] = (uint8_t)value;
        return 4;
    }
    out[1] = 1;
    out[2] = (uint8_t)value;
    return 3;
}

size_t hdlc_params_encode(uint8_t *out, size_t cap, const hdlc_params *p) {
    uint8_t tmp[32];
    size_t n = 3;
    n += put_param(tmp + n, 0x05, p->max_info_tx);
    n += put_param(tmp + n, 0x06, p->max_info_rx);
    /* windows as 4-byte values, the form the standard's examples use */
    const uint8_t ids[2] = {0x07, 0x08};
    const uint8_t win[2] = {p->window_tx, p->window_rx};
    for (int i = 0; i < 2; i++) {
        tmp[n++] = ids[i];
        tmp[n++] = 4;
        tmp[n++] = 0;
        tmp[n++] = 0;
        tmp[n++] = 0;
        tmp[n++] = win[i];
    }
    tmp[0] = 0x81;
    tmp[1] = 0x80;
    tmp[2] = (uint8_t)(n - 3);
    if (n > cap) return 0;
    memcpy(out, tmp, n);
    return n;
}

bool hdlc_params_decode(const uint8_t *in, size_t len, hdlc_params *p) {
    *p = (hdlc_params){HDLC_DEFAULT_INFO, HDLC_DEFAULT_INFO, 1, 1};
    if (len == 0) return true;
    if (len < 3 || in[0] != 0x81 || in[1] != 0x80 || (size_t)in[2] + 3 > len) return false;
    size_t end = 3 + in[2];
    for (size_t i = 3; i < end;) {
        if (i + 2 > end) return false;
        uint8_t id = in[i], n = in[i + 1];
        if (n == 0 || n > 4 || i + 2 + n > end) return false;
        uint32_t v = 0;
        for (uint8_t k = 0; k < n; k++) v = v << 8 | in[i + 2 + k];
        switch (id) {
        case 0x05: p->max_info_tx = (uint16_t)(v > 0x7FF ? 0x7FF : v); break;
        case 0x06: p->max_info_rx = (uint16_t)(v > 0x7FF ? 0x7FF : v); break;
        case 0x07: p->window_tx = (uint8_t)(v > 7 ? 7 : v); break;
        case 0x08: p->window_rx = (uint8_t)(v > 7 ? 7 : v); break;
        default: break; /* unknown parameters are ignored */
        }
        i += 2 + n;
    }
    return p->max_info_tx >= 32 && p->max_info_rx >= 32 && p->window_tx && p->window_rx;
}
