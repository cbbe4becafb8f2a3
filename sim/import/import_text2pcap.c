/* import_text2pcap: hex dumps of packets (capture.h), as Wireshark's "Copy as
 * Hex Dump" / "Export Packet Dissections" and `od -Ax -tx1` write them, and
 * text2pcap reads them:
 *     2026-01-01 00:00:00.250000
 *     0000  00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00   ..............E.
 *     0010  00 3a 00 01 00 00 40 06 7c bb 7f 00 00 01 7f 00   .:....@.|.......
 * A line starting with an offset (hex, two digits or more, then a blank)
 * holds the packet's bytes from that offset; offset 0 starts a new packet.
 * The bytes end at the text column (three blanks or a '|'), and a line holds
 * no more than the next line's offset says. A date and time alone on a line
 * before a packet is its time; a dump without times has its packets 10 ms
 * apart (a NOTE says so). The packets are Ethernet frames (text2pcap's
 * default), read by the pcap reader's TCP part. Other text lines (packet
 * summaries, dissection text) are counted as skipped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "sim/import/capture.h"
#include "sim/import/capture_lines.h"
#include "sim/import/import_format.h"

#define PACKET_MAX 65536
#define UNTIMED_GAP_NS 10000000LL
#define LINKTYPE_ETHERNET 1 /* DLT_EN10MB */

typedef struct dump {
    uint8_t *b;
    size_t n;
    bool open, timed;
    int64_t t_ns, last_t;
    size_t packets, untimed;
    unsigned line;
} dump;

/* The offset at the line's start (n: its digits), or -1. */
static long line_offset(const char *l, size_t *n) {
    size_t i = 0;
    while (isxdigit((unsigned char)l[i])) i++;
    if (i < 2 || (l[i] != ' ' && l[i] != '\t' && l[i] != ':')) return -1;
    *n = i;
    return strtol(l, NULL, 16);
}

/* Bytes after the offset: two-digit tokens until the text column. */
static size_t line_bytes(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (n < cap) {
        size_t blanks = 0;
        while (s[blanks] == ' ' || s[blanks] == '\t') blanks++;
        if (blanks >= 3 && n) break; /* the text column */
        s += blanks;
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || (s[2] && !isspace((unsigned char)s[2])))
            break;
        out[n++] = (uint8_t)strtol((char[3]){s[0], s[1], 0}, NULL, 16);
        s += 2;
    }
    return n;
}

static int flush_packet(dump *d, pcap_feed *x) {
    if (!d->open) return 0;
    d->open = false;
    int64_t t = d->timed ? d->t_ns : d->last_t + (d->packets ? UNTIMED_GAP_NS : 0);
    if (!d->timed) d->untimed++;
    d->timed = false;
    d->last_t = t;
    d->packets++;
    return capture_pcap_packet(x, LINKTYPE_ETHERNET, t / 1000000000LL, t % 1000000000LL, d->b, d->n);
}

static int dump_line(dump *d, pcap_feed *x, capture *c, const char *line) {
    size_t digits;
    long off = line_offset(line, &digits);
    if (off == 0) {
        if (flush_packet(d, x) < 0) return -1;
        d->open = true, d->n = 0;
    }
    if (off >= 0 && d->open) {
        if ((size_t)off > d->n) capture_count(c, "hex dump octets missing (an offset beyond the bytes before it)",
                                              (unsigned long)((size_t)off - d->n));
        if ((size_t)off < PACKET_MAX) d->n = (size_t)off; /* the next offset bounds the line before */
        d->n += line_bytes(line + digits + (line[digits] == ':'), d->b + d->n, PACKET_MAX - d->n);
        return 0;
    }
    int64_t t;
    if (off < 0 && capture_parse_wall(line, &t)) {
        if (flush_packet(d, x) < 0) return -1;
        d->t_ns = t, d->timed = true;
        return 0;
    }
    capture_count(c, off >= 0 ? "hex dump lines before the first offset 0" : "capture lines skipped: text, not a "
                                                                             "hex dump line (summaries, dissection)", 1);
    return 0;
}

int capture_read_text2pcap(const char *path, unsigned port, capture *c, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return capture_line_fail(err, errlen, path, 0, 0, "cannot open the capture");
    static uint8_t packet[PACKET_MAX];
    dump d = {.b = packet};
    pcap_feed *x = capture_pcap_begin(c, port, "text2pcap");
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        d.line++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        p[strcspn(p, "\r\n")] = '\0';
        if (*p == '\0') capture_count(c, "capture lines skipped: blank", 1);
        else if (*p == '#') capture_count(c, "capture lines skipped: comments", 1);
        else rc = dump_line(&d, x, c, p);
    }
    fclose(f);
    if (rc == 0) rc = flush_packet(&d, x);
    if (rc < 0) return capture_line_fail(err, errlen, path, d.line, 0, "out of memory");
    if (d.packets == 0) return capture_line_fail(err, errlen, path, d.line, 0, "no packet (no line with offset 0000)");
    rc = capture_pcap_end(x, path, err, errlen);
    if (rc == 0 && d.untimed)
        capture_note(c, "%zu packets of the hex dump without a time: taken 10 ms apart", d.untimed);
    return rc;
}

/* "0000  45 00 ..." or "000000 45 00 ...": an offset of zero, then bytes. */
int import_detect_text2pcap(const import_probe *p) {
    const char *l = p->first_line;
    size_t digits;
    int64_t t;
    if (l && capture_parse_wall(l, &t)) l = p->second_line; /* a packet's time first: its bytes follow */
    uint8_t b[4];
    return l && line_offset(l, &digits) == 0 && line_bytes(l + digits, b, sizeof b) == sizeof b ? 3 : 0;
}
