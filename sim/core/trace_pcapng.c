/* trace_pcapng: a trace as pcapng (see trace_pcapng.h, docs/pcapng.md). */
#include "sim/core/trace_pcapng.h"
#include <stdlib.h>
#include <string.h>
#include "sim/core/pcapng.h"
#include "sim/core/tcp_synth.h"

/* How a kind's interface is written: its link type, the server port of TCP kinds, the
 * Wireshark dissector named in an upper-PDU header, and the interface's description. */
typedef struct kind_row {
    uint16_t linktype;
    uint16_t tcp_port;
    const char *dissector;
    const char *description;
} kind_row;

/* LINKTYPE_USER2 (149) is skipped: Wireshark reads 149 as Apple's PKTAP. */
static const kind_row kinds[TK_COUNT] = {
    [TK_NOTES] = {PCAPNG_LINKTYPE_USER0 + 15, 0, NULL, "LINKTYPE_USER15: bench notes: the event text of each note, as ASCII"},
    [TK_IEC104] = {PCAPNG_LINKTYPE_ETHERNET, 2404, NULL, "IEC 60870-5-104 over synthesized Ethernet/IPv4/TCP"},
    [TK_MODBUS_TCP] = {PCAPNG_LINKTYPE_ETHERNET, 502, NULL, "Modbus/TCP over synthesized Ethernet/IPv4/TCP"},
    [TK_DLMS_WRAPPER] = {PCAPNG_LINKTYPE_ETHERNET, 4059, NULL,
                         "DLMS/COSEM wrapper (IEC 62056-47) over synthesized Ethernet/IPv4/TCP, port 4059"},
    [TK_TCP_OTHER] = {PCAPNG_LINKTYPE_ETHERNET, 7000, NULL, "TCP peer over synthesized Ethernet/IPv4/TCP"},
    [TK_MODBUS_RTU] = {PCAPNG_LINKTYPE_UPPER_PDU, 0, "mbrtu", "Modbus RTU serial line (one ADU with CRC a packet)"},
    [TK_MBUS] = {PCAPNG_LINKTYPE_USER0 + 0, 0, NULL,
                 "LINKTYPE_USER0: wired M-Bus, EN 13757-2 FT1.2 frames (E5, 10..16, 68 L L 68..16)"},
    [TK_WMBUS] = {PCAPNG_LINKTYPE_USER0 + 1, 0, NULL,
                  "LINKTYPE_USER1: wireless M-Bus, EN 13757-4 frame from the L-field as sent on the air"},
    [TK_HDLC] = {PCAPNG_LINKTYPE_USER0 + 3, 0, NULL, "LINKTYPE_USER3: DLMS/COSEM HDLC (IEC 62056-46), flags included"},
    [TK_IM871A] = {PCAPNG_LINKTYPE_USER0 + 4, 0, NULL, "LINKTYPE_USER4: iM871A radio module HCI messages (A5 ..)"},
    [TK_SERIAL_OTHER] = {PCAPNG_LINKTYPE_USER0 + 5, 0, NULL, "LINKTYPE_USER5: bytes of a serial line"},
};

typedef struct channel {
    const char *name;
    trace_channel_kind kind;
    unsigned ifid;
    tcp_synth tcp;
    unsigned connections; /* TCP streams begun */
    bool reconnect;       /* a note said a new connection was made: the next data opens one */
} channel;

typedef struct writer {
    pcapng_writer w;
    channel *chs;
    size_t n_chs;
    unsigned notes_if;
    int64_t base_ns;
    uint8_t *buf;
} writer;

static channel *find_channel(writer *wr, const char *name) {
    for (size_t i = 0; i < wr->n_chs; i++)
        if (strcmp(wr->chs[i].name, name) == 0) return &wr->chs[i];
    return NULL;
}

/* The record a channel is classified by: its first frame, else its first note with bytes. */
static const trace_rec *telling_record(const trace *tr, const char *name) {
    const trace_rec *note = NULL;
    for (size_t i = 0; i < tr->n; i++) {
        const trace_rec *r = &tr->recs[i];
        if (r->len == 0 || strcmp(r->ch, name) != 0) continue;
        if (r->dir != TRACE_NOTE) return r;
        if (!note) note = r;
    }
    return note;
}

static int collect_channels(writer *wr, const trace *tr) {
    wr->chs = calloc(tr->n ? tr->n : 1, sizeof *wr->chs);
    if (!wr->chs) return -1;
    for (size_t i = 0; i < tr->n; i++) {
        if (find_channel(wr, tr->recs[i].ch)) continue;
        channel *c = &wr->chs[wr->n_chs++];
        c->name = tr->recs[i].ch;
        c->kind = trace_channel_classify(telling_record(tr, c->name));
        if (c->kind == TK_NOTES) continue;
        const kind_row *k = &kinds[c->kind];
        char desc[256];
        snprintf(desc, sizeof desc, "%s (bench channel %s)", k->description, c->name);
        c->ifid = pcapng_add_interface(&wr->w, k->linktype, c->name, desc);
        if (k->tcp_port) tcp_synth_init(&c->tcp, (unsigned)wr->n_chs, k->tcp_port);
    }
    wr->notes_if = pcapng_add_interface(&wr->w, kinds[TK_NOTES].linktype, "notes", kinds[TK_NOTES].description);
    return 0;
}

static void tcp_write(writer *wr, channel *c, int64_t ts, bool from_gw, uint8_t flags, const uint8_t *b,
                      size_t n) {
    size_t len = tcp_synth_packet(&c->tcp, from_gw, flags, b, n, wr->buf);
    pcapng_write_packet(&wr->w, c->ifid, ts, wr->buf, len, from_gw ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN, NULL);
}

/* A new stream: the first sender is the client (it gets an ephemeral port) and its
 * handshake comes first; an earlier stream of the channel is closed. */
static void tcp_open(writer *wr, channel *c, int64_t ts, bool from_gw) {
    if (c->tcp.open) tcp_write(wr, c, ts, c->tcp.client_is_gw, TCP_FIN_ACK, NULL, 0);
    uint16_t server = kinds[c->kind].tcp_port, eph = (uint16_t)(40000 + c->connections++ % 20000);
    c->tcp.client_is_gw = from_gw;
    c->tcp.port[0] = from_gw ? eph : server;
    c->tcp.port[1] = from_gw ? server : eph;
    tcp_write(wr, c, ts, from_gw, TCP_SYN, NULL, 0);
    tcp_write(wr, c, ts, !from_gw, TCP_SYN | TCP_ACK, NULL, 0);
    tcp_write(wr, c, ts, from_gw, TCP_ACK, NULL, 0);
    c->tcp.open = true;
    c->reconnect = false;
}

static size_t upper_pdu(const char *dissector, const uint8_t *b, size_t n, uint8_t *out) {
    size_t dl = strlen(dissector), padded = (dl + 3) & ~(size_t)3, o = 0;
    out[o++] = 0, out[o++] = 12; /* EXP_PDU_TAG_PROTO_NAME: the dissector's name */
    out[o++] = (uint8_t)(padded >> 8), out[o++] = (uint8_t)padded;
    memset(out + o, 0, padded);
    memcpy(out + o, dissector, dl);
    o += padded;
    memset(out + o, 0, 4); /* EXP_PDU_TAG_END_OF_OPT */
    o += 4;
    memcpy(out + o, b, n);
    return o + n;
}

static void write_note(writer *wr, const trace_rec *r, int64_t ts) {
    char text[160];
    int n = snprintf(text, sizeof text, "%s: %s", r->ch, r->event);
    if (n < 0) return;
    if ((size_t)n >= sizeof text) n = (int)sizeof text - 1;
    pcapng_write_packet(&wr->w, wr->notes_if, ts, (const uint8_t *)text, (size_t)n, PCAPNG_DIR_NONE, NULL);
}

static bool says_new_connection(const char *event) {
    return strstr(event, "accepted") || strstr(event, "connected") || strstr(event, "closed");
}

static void write_rec(writer *wr, const trace_rec *r) {
    channel *c = find_channel(wr, r->ch);
    int64_t ts = wr->base_ns + r->t_ns;
    bool frame = r->len > 0 && (r->dir != TRACE_NOTE || c->kind == TK_WMBUS);
    if (!frame || c->kind == TK_NOTES) {
        write_note(wr, r, ts);
        if (kinds[c->kind].tcp_port && says_new_connection(r->event)) c->reconnect = true;
        return;
    }
    bool from_gw = r->dir == TRACE_GW_TO_BUS;
    pcapng_dir dir = r->dir == TRACE_NOTE ? PCAPNG_DIR_NONE : from_gw ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN;
    const kind_row *k = &kinds[c->kind];
    if (k->tcp_port) {
        if (!c->tcp.open || c->reconnect) tcp_open(wr, c, ts, from_gw);
        for (size_t off = 0; off < r->len; off += 65495) {
            size_t n = r->len - off < 65495 ? r->len - off : 65495;
            size_t len = tcp_synth_packet(&c->tcp, from_gw, TCP_PSH_ACK, r->bytes + off, n, wr->buf);
            pcapng_write_packet(&wr->w, c->ifid, ts, wr->buf, len, dir, r->event);
        }
    } else if (k->dissector) {
        size_t len = upper_pdu(k->dissector, r->bytes, r->len, wr->buf);
        pcapng_write_packet(&wr->w, c->ifid, ts, wr->buf, len, dir, r->event);
    } else {
        pcapng_write_packet(&wr->w, c->ifid, ts, r->bytes, r->len, dir, r->event);
    }
}

/* Records in time order (the trace is in the order they were logged; a frame is logged
 * when its last byte arrived, after frames that began later may have been). */
static int by_time(const void *a, const void *b) {
    const trace_rec *x = *(const trace_rec *const *)a, *y = *(const trace_rec *const *)b;
    if (x->t_ns != y->t_ns) return x->t_ns < y->t_ns ? -1 : 1;
    return x < y ? -1 : x > y; /* stable: the trace's order */
}

int trace_write_pcapng(const trace *tr, int64_t base_ns, const char *path, char *err, size_t errlen) {
    writer wr = {.base_ns = base_ns};
    if (pcapng_open(&wr.w, path) < 0) {
        snprintf(err, errlen, "cannot create %s", path);
        return -1;
    }
    size_t longest = 0;
    for (size_t i = 0; i < tr->n; i++)
        if (tr->recs[i].len > longest) longest = tr->recs[i].len;
    const trace_rec **order = malloc((tr->n ? tr->n : 1) * sizeof *order);
    wr.buf = malloc(longest + 512);
    int rc = order && wr.buf ? collect_channels(&wr, tr) : -1;
    if (rc == 0) {
        for (size_t i = 0; i < tr->n; i++) order[i] = &tr->recs[i];
        qsort(order, tr->n, sizeof *order, by_time);
        for (size_t i = 0; i < tr->n; i++) write_rec(&wr, order[i]);
    }
    free(order);
    free(wr.buf);
    free(wr.chs);
    if (pcapng_close(&wr.w) < 0 || rc < 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}
