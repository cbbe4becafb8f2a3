/* import: `hil import FORMAT|auto CAPTURE -o scenarios/replay/NAME.yaml`
 * (docs/replay.md). Reads a field capture (capture.h), keeps its timing
 * (optionally with idle stretches compressed or sped up) and writes a
 * scenario — plant, timed traffic, the expectations the capture implies —
 * plus its fixture files under fixtures/captures/. Each FORMAT is a row of
 * import_format.h (its reader and the writer it feeds); the writers: radio
 * (import_write_radio.c), serial M-Bus (import_mbus.c), IEC 104 / Modbus TCP
 * (import_tcp.c). */
#ifndef SIM_IMPORT_H
#define SIM_IMPORT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "sim/import/capture.h"

typedef struct import_opts {
    const char *format;        /* hex, rtl-wmbus, socat, pcap, auto */
    const char *capture_path;
    const char *out_path;      /* the scenario to write */
    const char *name;          /* NAME: out_path's file name without .yaml */
    const char *fixtures_dir;  /* where fixture files go (default <repo>/fixtures/captures) */
    const char *fixtures_ref;  /* how the scenario names that directory (fixtures/captures) */
    const char *keys_path;     /* radio: key file for encrypted meters */
    const char *base_path;     /* TCP: scenario whose plant and gateway are reused */
    int64_t compress_idle_ns;  /* gaps longer than this shrink to it (0: keep) */
    double speed;              /* times divided by this (1: as recorded) */
    unsigned port;             /* TCP: server port (0: 2404 or 502, whichever is seen) */
    const char *iface;         /* pcapng: --interface NAME, the one interface replayed (NULL: chosen) */
    bool baud_given;           /* --baud was given (a pcapng's M-Bus line has no baud rate) */
    unsigned baud;             /* serial: the line's baud rate */
    int64_t at_ns;             /* TCP: the capture's first frame this long after the start */
    bool at_given;             /* --at was given (else a bench run's pcapng says it) */
    bool protocol_only;        /* IEC 104, Modbus TCP: check the protocol, not the values */
    bool values;               /* expect values even when the base serves other addresses */
    bool derive_base;          /* write NAME.base.yaml from the capture and use it as the base */
} import_opts;

/* hil import ARGS... (argv[0] is "import"); exit status. */
int import_main(int argc, char **argv);

/* Writers: 0, or -1 with a message in err. */
int import_write_radio(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen);
int import_write_mbus(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen);
int import_write_tcp(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen);

/* One direction of one TCP session as a byte stream, with the time each byte
 * came (import_tcp.c puts them back together). */
typedef struct import_stream {
    uint8_t *b;
    int64_t *t;
    size_t n, cap;
} import_stream;

/* Modbus TCP (import_modbus.c): session k's streams are s[2k + CAP_TO_SLAVE]
 * and s[2k + CAP_FROM_SLAVE]. Writes one bench master per session into
 * masters (list items of plant: modbus: masters:) and the recorded answers as
 * expectations into expect; lead is --at. Returns the number of answers
 * expected; *last becomes the time of the last one expected, when later.
 * o->protocol_only (set here too when the capture's server answered reads
 * the base does not serve, unless o->values): protocol checks instead. */
size_t import_modbus_sessions(FILE *masters, FILE *expect, capture *c, const import_stream *s,
                              int64_t lead, int64_t *last, size_t *timeouts, import_opts *o);

/* Each read (functions 1..4) of the Modbus sessions that the server answered
 * without an exception: its unit, function, address, the items (registers or
 * bits) the answer holds and the answer's PDU (mb_rsp_register/mb_rsp_bit). */
typedef void (*import_modbus_read_fn)(void *ctx, unsigned unit, unsigned fc, unsigned address, unsigned items,
                                      const uint8_t *answer_pdu);
void import_modbus_each_answered_read(capture *c, const import_stream *s, import_modbus_read_fn fn, void *ctx);

/* IEC 104 (import_iec104.c): session conn's master script (cs the client's
 * stream, ss the server's: implied STARTDT and commands for half sessions);
 * the server's I frames as expectations (the number of objects expected;
 * *asdus counts the I frames; derived: against a --derive-base, so the
 * server's own spontaneous objects at any time, types gwd cannot map counted); the APDUs of a stream added to *apdus. */
void import_iec104_master(FILE *out, capture *c, int conn, const import_stream *cs, const import_stream *ss,
                          int64_t lead);
size_t import_iec104_answers(FILE *out, capture *c, int conn, const import_stream *s, int64_t lead,
                             size_t *asdus, bool derived);
void import_iec104_count_apdus(const import_stream *s, unsigned long *apdus);
/* The protocol checks of a recorded client (import_iec104_checks.c); how many. */
struct import_base_iec104;
size_t import_iec104_checks(FILE *out, int conn, const import_stream *cs, int64_t lead, bool implied_startdt,
                            int64_t open_t, const struct import_base_iec104 *base);

/* Helpers shared by the writers. */
void import_hex_text(const uint8_t *b, size_t n, char *out, size_t cap); /* "0A 1B" */
void import_seconds(int64_t ns, char *out, size_t cap);      /* "12.345s" */
void import_yaml_string(FILE *out, const char *s);            /* a quoted scalar */
void import_wall_text(int64_t wall_ns, char *out, size_t cap); /* 2026-01-01T00:00:00Z */
#endif
