/* trace_channel_kind: what a trace channel carries, told from one of its frames (the
 * first with bytes), so trace_pcapng can give each channel a link type Wireshark
 * decodes. TCP peers are traced without a baud rate, serial lines with theirs. */
#include <stdbool.h>
#include "codec/modbus/modbus_adu.h"
#include "sim/core/trace_pcapng.h"

static bool is_iec104(const uint8_t *b, size_t n) {
    return n >= 6 && b[0] == 0x68 && b[1] >= 4 && (size_t)b[1] + 2 <= n;
}

static bool is_mbap(const uint8_t *b, size_t n) {
    return n >= 8 && b[2] == 0 && b[3] == 0 && (size_t)((b[4] << 8) | b[5]) + 6 == n;
}

static bool is_dlms_wrapper(const uint8_t *b, size_t n) {
    return n >= 8 && b[0] == 0 && b[1] == 1 && (size_t)((b[6] << 8) | b[7]) + 8 <= n;
}

static bool is_mbus(const uint8_t *b, size_t n) {
    if (n == 1) return b[0] == 0xE5;
    if (n == 5) return b[0] == 0x10 && b[4] == 0x16;
    return n >= 9 && b[0] == 0x68 && b[3] == 0x68 && b[1] == b[2];
}

static trace_channel_kind tcp_kind(const uint8_t *b, size_t n) {
    if (is_iec104(b, n)) return TK_IEC104;
    if (is_mbap(b, n)) return TK_MODBUS_TCP;
    if (is_dlms_wrapper(b, n)) return TK_DLMS_WRAPPER;
    return TK_TCP_OTHER;
}

static trace_channel_kind serial_kind(const uint8_t *b, size_t n) {
    if (n >= 2 && b[0] == 0x7E && b[n - 1] == 0x7E) return TK_HDLC;
    if (n >= 4 && b[0] == 0xA5) return TK_IM871A;
    if (is_mbus(b, n)) return TK_MBUS;
    if (n >= 4 && mb_rtu_crc_ok(b, n)) return TK_MODBUS_RTU;
    return TK_SERIAL_OTHER;
}

trace_channel_kind trace_channel_classify(const trace_rec *r) {
    if (!r || r->len == 0) return TK_NOTES;
    /* The air's transmissions are notes with the frame's bytes (sim/import/replay.c,
     * the radio bench): an EN 13757-4 frame starts with its L-field. */
    if (r->dir == TRACE_NOTE && r->baud == 0) return TK_WMBUS;
    return r->baud == 0 ? tcp_kind(r->bytes, r->len) : serial_kind(r->bytes, r->len);
}

const char *trace_channel_kind_name(trace_channel_kind k) {
    static const char *const names[TK_COUNT] = {"notes", "iec104", "modbus-tcp", "dlms-wrapper", "tcp",
                                                "modbus-rtu", "mbus", "dlms-hdlc", "im871a", "wmbus",
                                                "serial"};
    return k < TK_COUNT ? names[k] : "?";
}
