/* import_pcap: pcap/pcapng captures of IEC 104 / Modbus TCP sessions read
 * with libpcap (capture.h). Each TCP session with the server port is one
 * connection; its byte streams are put back together per direction: segments
 * in order of their sequence numbers, a segment already seen (a
 * retransmission) dropped, a gap taken as it comes (the capture lost it). */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include "sim/import/capture.h"
#include "sim/import/import_format.h"

#define MAX_SESSIONS 64

typedef struct session {
    uint32_t cli_ip, srv_ip;
    uint16_t cli_port;
    bool seen[2];
    uint32_t next[2];        /* next expected sequence number per direction */
    bool closed;
} session;

struct pcap_feed {
    capture *c;
    unsigned port;
    session s[MAX_SESSIONS];
    size_t n;
    int64_t t0;
    unsigned packet;
};
typedef pcap_feed pcap_ctx;

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif

/* Offset of the IPv4 header for the capture's link type, or -1: Ethernet
 * (with one VLAN tag), BSD loopback/null (4 octets of address family),
 * raw IP, Linux cooked v1 (protocol at 14 of 16) and v2 (at 0 of 20). Other
 * protocols (IPv6, ARP) come back as -1 and are counted by the caller. */
static int ip_offset(int dlt, const uint8_t *p, size_t len) {
    switch (dlt) {
    case DLT_EN10MB:
        if (len >= 14 && p[12] == 0x08 && p[13] == 0x00) return 14;
        if (len >= 18 && p[12] == 0x81 && p[13] == 0x00 && p[16] == 0x08 && p[17] == 0x00) return 18;
        return -1;
    case DLT_NULL: case DLT_LOOP: /* AF_INET is 2 everywhere, in either byte order */
        return len >= 4 && ((p[0] == 2 && !p[1] && !p[2] && !p[3]) || (!p[0] && !p[1] && !p[2] && p[3] == 2)) ? 4 : -1;
    case DLT_RAW: case DLT_IPV4: return len >= 1 && (p[0] >> 4) == 4 ? 0 : -1;
    case DLT_LINUX_SLL: return len >= 16 && p[14] == 0x08 && p[15] == 0x00 ? 16 : -1;
    case DLT_LINUX_SLL2: return len >= 20 && p[0] == 0x08 && p[1] == 0x00 ? 20 : -1;
    default: return -2;
    }
}

static session *find_session(pcap_ctx *x, uint32_t cip, uint16_t cport, uint32_t sip, bool create) {
    for (size_t i = x->n; i-- > 0;)
        if (x->s[i].cli_ip == cip && x->s[i].cli_port == cport && x->s[i].srv_ip == sip && !x->s[i].closed)
            return &x->s[i];
    if (!create || x->n == MAX_SESSIONS) return NULL;
    session *s = &x->s[x->n++];
    memset(s, 0, sizeof *s);
    s->cli_ip = cip, s->cli_port = cport, s->srv_ip = sip;
    return s;
}

static int add_event(pcap_ctx *x, int64_t t, int dir, cap_event ev, int conn, const uint8_t *b, size_t n) {
    if (capture_add(x->c, t, dir, b, n, x->packet) < 0) return -1;
    x->c->frames[x->c->n - 1].event = ev;
    x->c->frames[x->c->n - 1].conn = conn;
    return 0;
}

/* The new part of a segment: what lies at or after the next expected byte. */
static int take_segment(pcap_ctx *x, session *s, int dir, uint32_t seq, const uint8_t *data, size_t n,
                        int64_t t) {
    if (!s->seen[dir]) {
        s->seen[dir] = true;
        s->next[dir] = seq;
    }
    int32_t behind = (int32_t)(s->next[dir] - seq);
    if (behind > 0) {
        size_t again = (size_t)behind < n ? (size_t)behind : n;
        if (n) capture_count(x->c, "TCP payload octets sent again (retransmissions)", again);
        if ((size_t)behind >= n) return 0; /* all seen before */
        data += behind, n -= (size_t)behind, seq += (uint32_t)behind;
    } else if (behind < 0 && n) {
        capture_count(x->c, "TCP payload octets the capture lost (sequence gaps, taken as they come)",
                      (unsigned long)-(int64_t)behind);
    }
    s->next[dir] = seq + (uint32_t)n;
    return n ? add_event(x, t, dir, CAP_DATA, (int)(s - x->s), data, n) : 0;
}

static int take_packet(pcap_ctx *x, int dlt, int64_t t, size_t caplen, const uint8_t *p) {
    int off = ip_offset(dlt, p, caplen);
    if (off == -2) {
        char what[120];
        const char *name = pcap_datalink_val_to_name(dlt);
        snprintf(what, sizeof what, "packets on link type %d (%s), which the import does not read", dlt,
                 name ? name : "unknown");
        capture_count(x->c, what, 1);
        return 0;
    }
    if (off < 0 || caplen < (size_t)off + 20) {
        capture_count(x->c, "packets that are not IPv4 (IPv6, ARP, ...) or too short for an IPv4 header", 1);
        return 0;
    }
    const uint8_t *ip = p + off;
    size_t iplen = caplen - (size_t)off, ihl = (size_t)(ip[0] & 15) * 4;
    if ((ip[0] >> 4) != 4 || ip[9] != 6 || iplen < ihl + 20) {
        capture_count(x->c, (ip[0] >> 4) != 4 ? "packets that are not IPv4" : "IPv4 packets that are not TCP", 1);
        return 0;
    }
    size_t total = (size_t)ip[2] << 8 | ip[3];
    if (total < iplen) iplen = total; /* Ethernet padding */
    const uint8_t *tcp = ip + ihl;
    uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]), dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
    uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    size_t thl = (size_t)(tcp[12] >> 4) * 4;
    uint8_t flags = tcp[13];
    if (iplen < ihl + thl) {
        capture_count(x->c, "TCP packets cut short by the capture (snap length)", 1);
        return 0;
    }
    if (x->port == 0 && (dport == 2404 || dport == 502)) x->port = dport;
    if (x->port == 0 && (sport == 2404 || sport == 502)) x->port = sport;
    if (dport != x->port && sport != x->port) {
        capture_count(x->c, "TCP packets of other ports than the server's", 1);
        return 0;
    }
    int dir = dport == x->port ? CAP_TO_SLAVE : CAP_FROM_SLAVE;
    uint32_t sip, dip;
    memcpy(&sip, ip + 12, 4);
    memcpy(&dip, ip + 16, 4);
    /* a session starts with the client's SYN or the first payload of either side
     * (a capture that begins mid-session, or sees one direction only), never
     * with the last ACK of one already closed */
    bool payload = iplen > ihl + thl;
    bool starts = (dir == CAP_TO_SLAVE && (flags & 0x02)) || payload;
    session *s = dir == CAP_TO_SLAVE ? find_session(x, sip, sport, dip, starts) : find_session(x, dip, dport, sip, starts);
    if (!s) {
        capture_count(x->c, payload ? "TCP payload packets beyond the 64 sessions the import keeps"
                                    : "TCP packets without payload outside a session (ACK, SYN-ACK, FIN)", 1);
        return 0;
    }
    if (!payload && !(flags & 0x07))
        capture_count(x->c, "TCP packets without payload (acknowledgements)", 1);
    int conn = (int)(s - x->s);
    if (flags & 0x02) { /* SYN: the stream starts after it */
        s->seen[dir] = true;
        s->next[dir] = seq + 1;
        if (dir == CAP_TO_SLAVE) return add_event(x, t, dir, CAP_OPEN, conn, NULL, 0);
        capture_count(x->c, "server SYN-ACK packets (the bench master's connect answers them)", 1);
        return 0;
    }
    if (take_segment(x, s, dir, seq, tcp + thl, iplen - ihl - thl, t) < 0) return -1;
    if (flags & 0x05) { /* FIN or RST: the session ends */
        s->closed = true;
        return add_event(x, t, dir, CAP_CLOSE, conn, NULL, 0);
    }
    return 0;
}

pcap_feed *capture_pcap_begin(capture *c, unsigned port, const char *format) {
    static pcap_ctx x; /* large; one import per process */
    memset(&x, 0, sizeof x);
    x.c = c;
    x.port = port;
    c->kind = CAP_TCP;
    snprintf(c->format, sizeof c->format, "%s", format);
    return &x;
}

int capture_pcap_packet(pcap_feed *x, int dlt, int64_t sec, int64_t nsec, const uint8_t *p, size_t caplen) {
    x->packet++;
    /* nanoseconds since 1970 in 64 bits end in 2262: a later time is a broken header */
    if (sec < 0 || sec > 9000000000LL) {
        capture_count(x->c, "packets with a time outside 1970..2255 (a broken packet header)", 1);
        return 0;
    }
    return take_packet(x, dlt, sec * 1000000000LL + nsec, caplen, p);
}

int capture_pcap_end(pcap_feed *x, const char *path, char *err, size_t errlen) {
    capture *c = x->c;
    if (c->n == 0) {
        if (x->port) snprintf(err, errlen, "%s:1:1: %u packets, none with TCP payload to or from port %u", path,
                              x->packet, x->port);
        else snprintf(err, errlen, "%s:1:1: %u packets, no TCP to or from port 2404 or 502 (give --port N)", path,
                      x->packet);
        return -1;
    }
    c->server_port = x->port;
    c->n_conns = (unsigned)x->n;
    c->has_wall = true;
    c->t0_wall_ns = c->frames[0].t_ns;
    capture_normalize(c);
    return 0;
}

int capture_read_pcap(const char *path, unsigned port, capture *c, char *err, size_t errlen) {
    char perr[PCAP_ERRBUF_SIZE] = "";
    /* nanoseconds: a pcapng of dumpcap has them (a µs pcap is scaled exactly) */
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!pc) {
        snprintf(err, errlen, "%s:1:1: not a pcap/pcapng file libpcap can read: %s", path, perr);
        return -1;
    }
    pcap_feed *x = capture_pcap_begin(c, port, "pcap");
    int dlt = pcap_datalink(pc), rc = 0;
    struct pcap_pkthdr *h;
    const uint8_t *p;
    while (rc == 0 && pcap_next_ex(pc, &h, &p) == 1) /* tv_usec holds ns */
        rc = capture_pcap_packet(x, dlt, (int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec, p, h->caplen);
    pcap_close(pc);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return capture_pcap_end(x, path, err, errlen);
}

/* ---- what `hil import auto` looks for (import_format.h) ---- */

/* pcap in either byte order, with µs or ns times, and pcapng: a magic number. */
int import_detect_pcap(const import_probe *p) {
    static const unsigned char magics[4][4] = {
        {0xD4, 0xC3, 0xB2, 0xA1}, {0xA1, 0xB2, 0xC3, 0xD4}, {0x4D, 0x3C, 0xB2, 0xA1}, {0x0A, 0x0D, 0x0D, 0x0A}};
    for (size_t i = 0; p->head_len == 4 && i < 4; i++)
        if (memcmp(p->head, magics[i], 4) == 0) return 4;
    return 0;
}
