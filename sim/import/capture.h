/* capture: a field capture read into memory, whatever its file format.
 *
 * A capture is a list of timed frames: radio telegrams (one per line of a
 * receiver's log), chunks of a serial line in both directions (socat -x -v),
 * or TCP payloads of the sessions of a network capture (pcap/pcapng). Times
 * are nanoseconds since the capture's first frame; the wall time of that
 * first frame is kept when the capture has one. The readers live in
 * import_radio.c, import_socat.c and import_pcap.c, each behind its row of
 * import_format.h; `hil import` (import.c) turns a capture into a scenario. */
#ifndef SIM_CAPTURE_H
#define SIM_CAPTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { CAP_RADIO, CAP_SERIAL, CAP_TCP } cap_kind;

/* Direction: serial '>' / TCP client to server = CAP_TO_SLAVE ("request"),
 * serial '<' / TCP server to client = CAP_FROM_SLAVE ("answer"); radio is
 * always CAP_FROM_SLAVE (a meter sent it). */
enum { CAP_TO_SLAVE = 0, CAP_FROM_SLAVE = 1 };

/* TCP events besides payload. */
typedef enum { CAP_DATA, CAP_OPEN, CAP_CLOSE } cap_event;

typedef struct cap_frame {
    int64_t t_ns;        /* since the first frame of the capture */
    int dir;             /* CAP_TO_SLAVE / CAP_FROM_SLAVE */
    cap_event event;
    int conn;            /* TCP: index of the session (0, 1, ...) */
    bool has_rssi;
    int rssi;            /* dBm, or the receiver's own scale (rtl-wmbus) */
    bool crc_bad;        /* the receiver flagged it (rtl-wmbus CRC field 0) */
    bool has_mode;       /* radio: the receiver said which mode it heard it in */
    int mode;            /* air_mode (AIR_S1, AIR_T1, AIR_C1) */
    uint8_t *bytes;
    size_t len;
    unsigned line;       /* line (or packet number) in the capture file */
} cap_frame;

/* What an import did not turn into a step or an expectation, by kind and
 * reason ("IEC 104 ASDUs of type 5 (M_ST_NA_1), not compared: 3"), and the
 * NOTE lines it has for the reader (an implied STARTDT, a long gap): both go
 * into the import summary and the scenario header, so nothing is dropped
 * silently. */
#define CAP_MAX_COUNTS 48
#define CAP_MAX_NOTES 16
typedef struct cap_count {
    char what[200];
    unsigned long n;
} cap_count;

typedef struct capture {
    cap_kind kind;
    char format[16];     /* "hex", "rtl-wmbus", "socat", "pcap" */
    bool has_wall;
    int64_t t0_wall_ns;  /* wall time (UTC ns) of the first frame */
    cap_frame *frames;
    size_t n, cap;
    unsigned server_port; /* TCP: the server's port (2404, 502, ...) */
    bool bench_file;      /* a pcapng `hil run --pcapng` wrote: its times are the base's start + t */
    unsigned n_conns;
    cap_count counted[CAP_MAX_COUNTS]; /* not replayed, by kind and reason */
    size_t n_counted;
    char notes[CAP_MAX_NOTES][320];
    size_t n_notes, notes_dropped;
    size_t untimed;        /* frames the capture gave no time (the reader spaced them) */
    size_t wired_lines;    /* hex: lines holding a wired M-Bus long frame */
    unsigned long units;   /* what the summary counts: telegrams, APDUs, requests... */
    char unit[24];         /* their name ("APDUs"); empty: frames */
    char unit_detail[160]; /* e.g. "24 from the client, 27 from the server" */
} capture;

/* Count n more of what (added to the same reason). */
void capture_count(capture *c, const char *what, unsigned long n);
/* A NOTE line (printf format); beyond CAP_MAX_NOTES only counted. */
void capture_note(capture *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The counts and notes as "PREFIXline\n" lines. */
void capture_print_counts(const capture *c, FILE *out, const char *prefix);

/* Append a frame (bytes copied); -1 when out of memory. t is absolute (wall
 * or relative ns); capture_normalize() makes times relative afterwards. */
int capture_add(capture *c, int64_t t_ns, int dir, const uint8_t *bytes, size_t len,
                unsigned line);
/* Sort by time (stable) and make times relative to the first frame. */
void capture_normalize(capture *c);
void capture_free(capture *c);

/* Readers: 0, or -1 with "file:line:col: what is wrong" in err. */
int capture_read_hex(const char *path, capture *c, char *err, size_t errlen);
int capture_read_rtl_wmbus(const char *path, capture *c, char *err, size_t errlen);
int capture_read_socat(const char *path, capture *c, char *err, size_t errlen);
int capture_read_pcap(const char *path, unsigned port, capture *c, char *err, size_t errlen);
int capture_read_frames(const char *path, capture *c, char *err, size_t errlen);
int capture_read_wmbusmeters(const char *path, capture *c, char *err, size_t errlen);
int capture_read_rtl433(const char *path, capture *c, char *err, size_t errlen);
int capture_read_text2pcap(const char *path, unsigned port, capture *c, char *err, size_t errlen);
/* pcapng with the pure reader (import_pcapng.c): every link type of the
 * bench's own files; iface (NULL: all) names the one interface to replay. */
int capture_read_pcapng(const char *path, unsigned port, const char *iface, capture *c, char *err, size_t errlen);

/* The TCP part of the pcap reader, for readers of other files that hold
 * packets (import_text2pcap.c): begin, one call per packet on link type dlt
 * (a pcap DLT_ value) at sec.nsec since 1970, end (-1 with err when no
 * payload of the server's port was seen). One feed at a time per process. */
typedef struct pcap_feed pcap_feed;
pcap_feed *capture_pcap_begin(capture *c, unsigned port, const char *format);
int capture_pcap_packet(pcap_feed *x, int dlt, int64_t sec, int64_t nsec, const uint8_t *p, size_t caplen);
int capture_pcap_end(pcap_feed *x, const char *path, char *err, size_t errlen);

/* "2019-04-03 19:00:42.123" / "2019-04-03T19:00:42.123456Z" / "2024/01/15
 * 10:00:00.123456" (UTC) → ns since the epoch; the number of characters
 * consumed, 0 when text is not such a time. */
size_t capture_parse_wall(const char *text, int64_t *out_ns);
#endif
