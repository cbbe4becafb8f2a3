/* modbus_adu: framing, CRC and read PDUs (see modbus_adu.h). */
#include "codec/modbus/modbus_adu.h"

uint16_t mb_crc16(const uint8_t *bytes, size_t n) {
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= bytes[i];
        for (int b = 0; b < 8; b++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
    }
    return crc;
}

bool mb_rtu_crc_ok(const uint8_t *adu, size_t len) {
    if (len < 4) return false;
    uint16_t crc = mb_crc16(adu, len - 2);
    return adu[len - 2] == (crc & 0xFF) && adu[len - 1] == (crc >> 8);
}

int mb_tcp_adu_length(const uint8_t *b, size_t have) {
    if (have < 6) return 0;
    if (b[2] != 0 || b[3] != 0) return -1; /* protocol id must be 0 */
    unsigned follow = (unsigned)b[4] << 8 | b[5];
    if (follow < 2 || follow > MB_ADU_MAX - 6) return -1;
    return (int)(6 + follow);
}

int mb_rtu_request_length(const uint8_t *b, size_t have) {
    if (have < 2) return 0;
    switch (b[1]) {
    case MB_FC_READ_COILS: case MB_FC_READ_DISCRETE: case MB_FC_READ_HOLDING:
    case MB_FC_READ_INPUT: case MB_FC_WRITE_COIL: case MB_FC_WRITE_REGISTER:
        return 8;
    case MB_FC_WRITE_COILS: case MB_FC_WRITE_REGISTERS:
        return have < 7 ? 0 : 9 + b[6];
    case MB_FC_DEVICE_ID:
        return 7;
    default:
        return -1;
    }
}

int mb_rtu_response_length(const uint8_t *b, size_t have) {
    if (have < 2) return 0;
    if (b[1] & 0x80) return 5;
    switch (b[1]) {
    case MB_FC_READ_COILS: case MB_FC_READ_DISCRETE: case MB_FC_READ_HOLDING:
    case MB_FC_READ_INPUT:
        return have < 3 ? 0 : 5 + b[2];
    case MB_FC_WRITE_COIL: case MB_FC_WRITE_REGISTER: case MB_FC_WRITE_COILS:
    case MB_FC_WRITE_REGISTERS:
        return 8;
    default:
        return -1;
    }
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

bool mb_parse_read_req(const uint8_t *pdu, size_t len, mb_read_req *out) {
    if (len < 5 || pdu[0] < MB_FC_READ_COILS || pdu[0] > MB_FC_READ_INPUT) return false;
    out->function = pdu[0];
    out->address = be16(pdu + 1);
    out->count = be16(pdu + 3);
    return true;
}

size_t mb_build_read_req(const mb_read_req *req, uint8_t *out) {
    out[0] = req->function;
    out[1] = (uint8_t)(req->address >> 8);
    out[2] = (uint8_t)req->address;
    out[3] = (uint8_t)(req->count >> 8);
    out[4] = (uint8_t)req->count;
    return 5;
}

static bool is_bits(uint8_t function) {
    return function == MB_FC_READ_COILS || function == MB_FC_READ_DISCRETE;
}

int mb_check_read_rsp(const mb_read_req *req, const uint8_t *pdu, size_t len) {
    if (len >= 2 && pdu[0] == (req->function | 0x80)) return pdu[1] ? pdu[1] : -1;
    if (len < 2 || pdu[0] != req->function) return -1;
    unsigned bytes = is_bits(req->function) ? (req->count + 7u) / 8u : 2u * req->count;
    if (pdu[1] != bytes || len != 2 + bytes) return -1;
    return 0;
}

uint16_t mb_rsp_register(const uint8_t *pdu, unsigned i) { return be16(pdu + 2 + 2 * i); }
unsigned mb_rsp_bit(const uint8_t *pdu, unsigned i) { return (pdu[2 + i / 8] >> (i % 8)) & 1u; }

size_t mb_tcp_wrap(uint16_t tid, uint8_t unit, const uint8_t *pdu, size_t len, uint8_t *out) {
    out[0] = (uint8_t)(tid >> 8);
    out[1] = (uint8_t)tid;
    out[2] = out[3] = 0;
    out[4] = (uint8_t)((len + 1) >> 8);
    out[5] = (uint8_t)(len + 1);
    out[6] = unit;
    for (size_t i = 0; i < len; i++) out[7 + i] = pdu[i];
    return len + 7;
}

size_t mb_rtu_wrap(uint8_t unit, const uint8_t *pdu, size_t len, uint8_t *out) {
    out[0] = unit;
    for (size_t i = 0; i < len; i++) out[1 + i] = pdu[i];
    uint16_t crc = mb_crc16(out, len + 1);
    out[len + 1] = (uint8_t)crc;
    out[len + 2] = (uint8_t)(crc >> 8);
    return len + 3;
}

size_t mb_build_read_rsp(uint8_t function, const uint16_t *items, unsigned count, uint8_t *out) {
    out[0] = function;
    if (is_bits(function)) {
        unsigned bytes = (count + 7) / 8;
        for (unsigned i = 0; i < bytes; i++) out[2 + i] = 0;
        for (unsigned i = 0; i < count; i++)
            if (items[i]) out[2 + i / 8] |= (uint8_t)(1u << (i % 8));
        out[1] = (uint8_t)bytes;
        return 2 + bytes;
    }
    for (unsigned i = 0; i < count; i++) {
        out[2 + 2 * i] = (uint8_t)(items[i] >> 8);
        out[3 + 2 * i] = (uint8_t)items[i];
    }
    out[1] = (uint8_t)(2 * count);
    return 2 + 2 * count;
}

size_t mb_build_exception(uint8_t function, uint8_t code, uint8_t *out) {
    out[0] = (uint8_t)(function | 0x80);
    out[1] = code;
    return 2;
}
