/* tcp_synth: the headers of a synthesized TCP stream (see tcp_synth.h). */
#include "sim/core/tcp_synth.h"
#include <string.h>

void tcp_synth_init(tcp_synth *s, unsigned peer_no, uint16_t server_port) {
    memset(s, 0, sizeof *s);
    static const uint8_t gw_ip[4] = {10, 0, 0, 1};
    memcpy(s->ip[0], gw_ip, 4);
    s->ip[1][0] = 10;
    s->ip[1][1] = 0;
    s->ip[1][2] = (uint8_t)(1 + peer_no / 250);
    s->ip[1][3] = (uint8_t)(1 + peer_no % 250);
    static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(s->mac[0], gw_mac, 6);
    uint8_t peer_mac[6] = {0x02, 0, 0, 1, (uint8_t)(peer_no >> 8), (uint8_t)peer_no};
    memcpy(s->mac[1], peer_mac, 6);
    s->port[0] = server_port;
    s->port[1] = server_port;
    s->seq[0] = 1000;
    s->seq[1] = 5000;
}

static void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

/* The Internet checksum (RFC 1071) of the pseudo-header sum plus bytes. */
static uint16_t checksum(uint32_t sum, const uint8_t *b, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)((b[i] << 8) | b[i + 1]);
    if (n & 1) sum += (uint32_t)(b[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t tcp_synth_packet(tcp_synth *s, bool from_gw, uint8_t flags, const uint8_t *payload, size_t len,
                        uint8_t *out) {
    int src = from_gw ? 0 : 1, dst = 1 - src;
    if (len > 65495) len = 65495;
    memcpy(out, s->mac[dst], 6);
    memcpy(out + 6, s->mac[src], 6);
    put16(out + 12, 0x0800);
    uint8_t *ip = out + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(40 + len));
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;
    ip[9] = 6; /* TCP */
    memcpy(ip + 12, s->ip[src], 4);
    memcpy(ip + 16, s->ip[dst], 4);
    put16(ip + 10, checksum(0, ip, 20));
    uint8_t *tcp = ip + 20;
    memset(tcp, 0, 20);
    put16(tcp, s->port[src]);
    put16(tcp + 2, s->port[dst]);
    put32(tcp + 4, s->seq[src]);
    put32(tcp + 8, (flags & TCP_ACK) ? s->seq[dst] : 0);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (len) memcpy(tcp + 20, payload, len);
    uint32_t pseudo = (uint32_t)((s->ip[src][0] << 8 | s->ip[src][1]) + (s->ip[src][2] << 8 | s->ip[src][3]) +
                                 (s->ip[dst][0] << 8 | s->ip[dst][1]) + (s->ip[dst][2] << 8 | s->ip[dst][3]) +
                                 6 + 20 + len);
    put16(tcp + 16, checksum(pseudo, tcp, 20 + len));
    s->seq[src] += (uint32_t)len + ((flags & (TCP_SYN | 0x01)) ? 1 : 0);
    return TCP_SYNTH_HEADERS + len;
}
