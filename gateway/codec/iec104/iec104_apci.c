/* iec104_apci: the 104 frame layer — start octet, length, and the control
 * field that tells I (numbered data), S (acknowledge) and U (control) frames
 * apart (IEC 60870-5-104 clause 5). */
#include "codec/iec104/iec104.h"

int iec104_apdu_needed(const uint8_t *buf, size_t len) {
    if (len < 1)
        return 0;
    if (buf[0] != IEC104_START)
        return IEC104_ERR_START;
    if (len < 2)
        return 0;
    if (buf[1] < 4 || buf[1] > IEC104_APDU_MAX - 2)
        return IEC104_ERR_LENGTH;
    return 2 + buf[1];
}

static uint16_t seq_of(uint8_t lo, uint8_t hi) {
    return (uint16_t)((lo >> 1) | (hi << 7));
}

int iec104_apdu_parse(const uint8_t *buf, size_t len, iec104_apdu *out) {
    int need = iec104_apdu_needed(buf, len);
    if (need < 0)
        return need;
    if (need == 0 || (size_t)need > len)
        return IEC104_ERR_LENGTH;
    const uint8_t *c = buf + 2;
    out->len = (size_t)need;
    out->asdu = NULL;
    out->asdu_len = 0;
    out->ns = out->nr = 0;
    out->u = 0;
    if ((c[0] & 0x01) == 0) {
        /* I format: N(S) in octets 1-2, N(R) in octets 3-4 (bit 0 of octet 3 is 0) */
        if (need == 6)
            return IEC104_ERR_LENGTH; /* an I frame carries an ASDU */
        if (c[2] & 0x01)
            return IEC104_ERR_CONTROL;
        out->kind = IEC104_FRAME_I;
        out->ns = seq_of(c[0], c[1]);
        out->nr = seq_of(c[2], c[3]);
        out->asdu = buf + 6;
        out->asdu_len = (size_t)need - 6;
        return 0;
    }
    if (need != 6)
        return IEC104_ERR_LENGTH; /* S and U frames are APCI only */
    if ((c[0] & 0x03) == 0x01) {
        if (c[0] != 0x01 || c[1] != 0 || (c[2] & 0x01))
            return IEC104_ERR_CONTROL;
        out->kind = IEC104_FRAME_S;
        out->nr = seq_of(c[2], c[3]);
        return 0;
    }
    /* U format: exactly one of the six function bits */
    uint8_t f = c[0] & 0xFC;
    if (c[1] || c[2] || c[3] || f == 0 || (f & (f - 1)))
        return IEC104_ERR_CONTROL;
    out->kind = IEC104_FRAME_U;
    out->u = c[0];
    return 0;
}

static void put_seq(uint8_t *o, uint16_t n) {
    n %= IEC104_SEQ_MOD;
    o[0] = (uint8_t)(n << 1);
    o[1] = (uint8_t)(n >> 7);
}

size_t iec104_encode_s(uint8_t *out, uint16_t nr) {
    out[0] = IEC104_START;
    out[1] = 4;
    out[2] = 0x01;
    out[3] = 0x00;
    put_seq(out + 4, nr);
    return 6;
}

size_t iec104_encode_u(uint8_t *out, uint8_t function) {
    out[0] = IEC104_START;
    out[1] = 4;
    out[2] = function;
    out[3] = out[4] = out[5] = 0;
    return 6;
}

void iec104_encode_i_header(uint8_t *out, size_t asdu_len, uint16_t ns, uint16_t nr) {
    out[0] = IEC104_START;
    out[1] = (uint8_t)(4 + asdu_len);
    put_seq(out + 2, ns);
    put_seq(out + 4, nr);
}

const char *iec104_strerror(int err) {
    switch (err) {
    case 0: return "ok";
    case IEC104_ERR_START: return "first octet is not 0x68";
    case IEC104_ERR_LENGTH: return "bad APDU length";
    case IEC104_ERR_CONTROL: return "bad control field";
    case IEC104_ERR_TYPE: return "unknown type identification";
    case IEC104_ERR_COUNT: return "bad number of information objects";
    case IEC104_ERR_SIZE: return "ASDU length does not match its type and number of objects";
    case IEC104_ERR_SPACE: return "ASDU too long";
    case IEC104_ERR_VALUE: return "field out of range";
    default: return "unknown error";
    }
}
