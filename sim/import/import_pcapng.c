/* import_pcapng: pcapng files read with the pure reader (pcapng_read.h), so that
 * a file with interfaces of several link types — the bench's own `hil run
 * --pcapng` output (docs/pcapng.md), Wireshark's multi-interface captures — is
 * read whole (libpcap reads one link type a file).
 *
 * One capture a scenario: the packets of one kind of interface are replayed —
 * IP (Ethernet, raw IP, loopback, Linux cooked) through the TCP part of the pcap
 * reader (import_pcap.c: IEC 104, Modbus TCP), else one wired M-Bus line
 * (LINKTYPE_USER0: the M-Bus importer), else wireless M-Bus (LINKTYPE_USER1: the
 * radio importer). --interface NAME picks one. Every packet of the others is
 * counted by interface, link type and reason; so are the file's skipped blocks
 * and a broken block (with its offset). */
#include <stdlib.h>
#include <string.h>
#include "sim/import/capture.h"
#include "sim/import/pcapng_read.h"

enum { LT_NULL = 0, LT_ETHERNET = 1, LT_RAW = 101, LT_LOOP = 108, LT_SLL = 113, LT_IPV4 = 228, LT_SLL2 = 276,
       LT_USER0 = 147, LT_USER1 = 148, LT_USER3 = 150, LT_USER4 = 151, LT_USER5 = 152, LT_USER15 = 162,
       LT_UPPER_PDU = 252 };
enum { PDLT_RAW = 12 }; /* libpcap's DLT_RAW on Linux, which the TCP feed takes for raw IP */

typedef enum { CLASS_IP, CLASS_MBUS, CLASS_WMBUS, CLASS_OTHER } if_class;

static if_class class_of(uint16_t lt) {
    switch (lt) {
    case LT_NULL: case LT_ETHERNET: case LT_RAW: case LT_LOOP: case LT_SLL: case LT_IPV4: case LT_SLL2:
        return CLASS_IP;
    case LT_USER0: return CLASS_MBUS;
    case LT_USER1: return CLASS_WMBUS;
    default: return CLASS_OTHER;
    }
}

/* What the bench writes under a link type (docs/pcapng.md), for the counts. */
static const char *linktype_text(uint16_t lt) {
    switch (lt) {
    case LT_ETHERNET: return "Ethernet";
    case LT_USER0: return "LINKTYPE_USER0, wired M-Bus in the bench's files";
    case LT_USER1: return "LINKTYPE_USER1, wireless M-Bus in the bench's files";
    case LT_USER3: return "LINKTYPE_USER3, DLMS HDLC in the bench's files: no importer reads it yet";
    case LT_USER4: return "LINKTYPE_USER4, iM871A HCI in the bench's files: the air's telegrams are replayed instead";
    case LT_USER5: return "LINKTYPE_USER5, bytes of a serial line in the bench's files: no importer reads them";
    case LT_USER15: return "LINKTYPE_USER15, the bench's notes (connections, time-outs): events, not traffic";
    case LT_UPPER_PDU: return "LINKTYPE_WIRESHARK_UPPER_PDU, Modbus RTU in the bench's files: no importer reads it yet";
    default: return "a link type the import does not read";
    }
}

static const char *class_text(if_class k) {
    static const char *const t[] = {"the IEC 104 / Modbus TCP sessions", "one wired M-Bus line",
                                    "the wireless M-Bus telegrams", "?"};
    return t[k];
}

typedef struct pn_ctx {
    capture *c;
    const char *iface;      /* --interface NAME, or NULL */
    if_class chosen;
    int mbus_if;            /* the one M-Bus interface replayed (of section 1..), -1 before the first */
    unsigned mbus_section;
    pcap_feed *feed;
    int64_t last_ns;
    unsigned long untimed;
} pn_ctx;

static bool selected(const pn_ctx *x, const pcapng_rpacket *p) {
    return !x->iface || strcmp(p->iface->name, x->iface) == 0;
}

static void count_other(pn_ctx *x, const pcapng_rpacket *p, const char *why) {
    char what[200];
    snprintf(what, sizeof what, "pcapng packets of interface %.40s (link type %u, %.90s)%s",
             p->iface->name[0] ? p->iface->name : "(unnamed)", p->iface->linktype, linktype_text(p->iface->linktype),
             why);
    capture_count(x->c, what, 1);
}

/* A wired M-Bus frame without the direction flag: E5 and RSP_UD come from a slave. */
static int mbus_dir(const pcapng_rpacket *p, capture *c) {
    if (p->dir == PCAPNG_PDIR_OUT) return CAP_TO_SLAVE; /* sent by the capturing side: the master */
    if (p->dir == PCAPNG_PDIR_IN) return CAP_FROM_SLAVE;
    capture_count(c, "wired M-Bus packets without a direction flag (told from the frame: E5 and RSP_UD from a slave)",
                  1);
    const uint8_t *b = p->data;
    bool answer = (p->caplen == 1 && b[0] == 0xE5) || (p->caplen >= 9 && b[0] == 0x68 && (b[4] & 0x0F) == 0x08);
    return answer ? CAP_FROM_SLAVE : CAP_TO_SLAVE;
}

static int take(pn_ctx *x, const pcapng_reader *r, const pcapng_rpacket *p) {
    if (!selected(x, p)) {
        count_other(x, p, ": not the --interface asked for");
        return 0;
    }
    if_class k = class_of(p->iface->linktype);
    if (k != x->chosen) {
        count_other(x, p, k == CLASS_OTHER ? "" : ": another protocol than the one replayed (give --interface NAME)");
        return 0;
    }
    int64_t t = p->has_ts ? p->ts_ns : x->last_ns;
    if (!p->has_ts) x->untimed++;
    x->last_ns = t;
    if (k == CLASS_IP) {
        int dlt = p->iface->linktype == LT_RAW ? PDLT_RAW : p->iface->linktype;
        return capture_pcap_packet(x->feed, dlt, t / 1000000000LL, t % 1000000000LL, p->data, p->caplen);
    }
    if (k == CLASS_MBUS) {
        if (x->mbus_if < 0) x->mbus_if = (int)p->ifid, x->mbus_section = r->sections;
        if ((int)p->ifid != x->mbus_if || r->sections != x->mbus_section) {
            count_other(x, p, ": another M-Bus line than the one replayed (give --interface NAME)");
            return 0;
        }
    }
    int dir = k == CLASS_MBUS ? mbus_dir(p, x->c) : CAP_FROM_SLAVE;
    return capture_add(x->c, t, dir, p->data, p->caplen, p->number);
}

/* The reader's own skips and a broken block, as counts and a NOTE. */
static void count_reader(capture *c, const pcapng_reader *r, unsigned long untimed) {
    capture_count(c, "pcapng blocks of unknown types (skipped)", r->unknown_blocks);
    capture_count(c, "pcapng packets naming an interface their section does not describe", r->unknown_if_packets);
    capture_count(c, "pcapng interfaces beyond the 64 a section the import keeps (their packets: above)",
                  r->ifs_beyond_max);
    capture_count(c, "pcapng packets without a usable time (simple packet blocks, out of range): the time of the one before",
                  untimed);
    if (r->failed) {
        capture_count(c, "pcapng octets after a broken block (not read)", r->octets_not_read);
        capture_note(c, "the pcapng file is broken: %s; the %u packets before it are imported", r->error, r->packets);
    }
}

/* Which kind of interface has packets (of --interface when given). */
static void classes_present(const uint8_t *b, size_t n, const char *iface, unsigned long have[4]) {
    pcapng_reader r;
    pcapng_rpacket p;
    pcapng_read_init(&r, b, n);
    while (pcapng_read_next(&r, &p))
        if (!iface || strcmp(p.iface->name, iface) == 0) have[class_of(p.iface->linktype)]++;
}

static int read_as(const uint8_t *b, size_t n, const char *path, unsigned port, const char *iface, if_class k,
                   capture *c, char *err, size_t errlen) {
    pn_ctx x = {.c = c, .iface = iface, .chosen = k, .mbus_if = -1};
    if (k == CLASS_IP) x.feed = capture_pcap_begin(c, port, "pcap");
    else {
        c->kind = k == CLASS_MBUS ? CAP_SERIAL : CAP_RADIO;
        c->has_wall = true;
        snprintf(c->format, sizeof c->format, "pcapng");
    }
    pcapng_reader r;
    pcapng_rpacket p;
    pcapng_read_init(&r, b, n);
    int rc = 0;
    while (rc == 0 && pcapng_read_next(&r, &p)) rc = take(&x, &r, &p);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    count_reader(c, &r, x.untimed);
    c->bench_file = strncmp(r.userappl, "hil ", 4) == 0;
    if (k == CLASS_IP) return capture_pcap_end(x.feed, path, err, errlen);
    capture_normalize(c);
    return 0;
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    uint8_t *b = malloc(cap);
    for (size_t got; b && (got = fread(b + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    *n = len;
    return b;
}

int capture_read_pcapng(const char *path, unsigned port, const char *iface, capture *c, char *err, size_t errlen) {
    size_t n = 0;
    uint8_t *b = slurp(path, &n);
    if (!b) {
        snprintf(err, errlen, "%s:1:1: cannot read the capture", path);
        return -1;
    }
    unsigned long have[4] = {0};
    classes_present(b, n, iface, have);
    int rc = -1;
    for (if_class k = CLASS_IP; rc < 0 && k < CLASS_OTHER; k++) {
        if (!have[k]) continue;
        capture_free(c);
        rc = read_as(b, n, path, port, iface, k, c, err, errlen);
        /* said when the file holds more than what is replayed (a bench run's file does) */
        unsigned long others = have[CLASS_IP] + have[CLASS_MBUS] + have[CLASS_WMBUS] + have[CLASS_OTHER] - have[k];
        if (rc == 0 && others)
            capture_note(c, "pcapng: replayed %s (%lu packets); the %lu packets of other interfaces are counted "
                            "above (--interface NAME picks one)", class_text(k), have[k], others);
    }
    if (rc < 0 && !have[CLASS_IP] && !have[CLASS_MBUS] && !have[CLASS_WMBUS]) {
        pcapng_reader r;
        pcapng_rpacket p;
        pcapng_read_init(&r, b, n);
        while (pcapng_read_next(&r, &p)) {}
        snprintf(err, errlen, "%s:1:1: %u pcapng packets%s%s, none on an interface%s%s of a link type the import "
                 "reads (IP, wired M-Bus USER0, wireless M-Bus USER1)", path, r.packets, r.failed ? ", then " : "",
                 r.failed ? r.error : "", iface ? " named " : "", iface ? iface : "");
    }
    free(b);
    return rc;
}
