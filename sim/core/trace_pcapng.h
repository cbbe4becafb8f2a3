/* trace_pcapng: a run's trace (trace.h) as a pcapng file for Wireshark (docs/pcapng.md).
 * One interface per channel of the trace, its link type chosen from what the channel
 * carries (trace_channel_kind); TCP peers get synthesized Ethernet/IPv4/TCP headers
 * with the protocol's registered port, so Wireshark's IEC 104 and Modbus/TCP
 * dissectors decode them; notes (connections, timeouts, the bench's own events) go to
 * one "notes" interface. Timestamps are base_ns + the trace's scenario time. */
#ifndef SIM_TRACE_PCAPNG_H
#define SIM_TRACE_PCAPNG_H
#include <stddef.h>
#include <stdint.h>
#include "sim/core/trace.h"

/* What a channel carries, from the first record with bytes (a pure guess from those). */
typedef enum {
    TK_NOTES,        /* no bytes at all */
    TK_IEC104,       /* TCP: 68 L APCI (IEC 60870-5-104) */
    TK_MODBUS_TCP,   /* TCP: MBAP header, protocol 0, length = rest */
    TK_DLMS_WRAPPER, /* TCP: IEC 62056-47 wrapper, version 1 */
    TK_TCP_OTHER,    /* TCP: anything else */
    TK_MODBUS_RTU,   /* serial: address, function, data, CRC-16 (valid) */
    TK_MBUS,         /* serial: EN 13757-2 FT1.2 frames */
    TK_HDLC,         /* serial: IEC 62056-46 HDLC frames 7E .. 7E */
    TK_IM871A,       /* serial: iM871A HCI messages A5 .. */
    TK_WMBUS,        /* air: EN 13757-4 frames */
    TK_SERIAL_OTHER,
    TK_COUNT
} trace_channel_kind;

trace_channel_kind trace_channel_classify(const trace_rec *r);
/* The kind's name ("iec104", ...) and the link type and description its interface gets. */
const char *trace_channel_kind_name(trace_channel_kind k);

/* Write tr to path; -1 with err when the file cannot be written. */
int trace_write_pcapng(const trace *tr, int64_t base_ns, const char *path, char *err, size_t errlen);
/* hil trace-to-pcapng (trace_pcapng_cmd.c). */
int trace_pcapng_main(int argc, char **argv);
#endif
