/* tcp_synth: Ethernet II + IPv4 + TCP headers around a TCP peer's traced payloads, so a
 * pcapng reader sees one ordinary TCP stream per connection (handshake, sequence and
 * acknowledgement numbers, checksums) and picks its dissector by the server port. */
#ifndef SIM_TCP_SYNTH_H
#define SIM_TCP_SYNTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tcp_synth {
    uint8_t ip[2][4];   /* [0] the gateway, [1] the peer */
    uint8_t mac[2][6];
    uint16_t port[2];
    uint32_t seq[2];    /* next sequence number each side sends */
    bool client_is_gw;  /* who opened the connection */
    bool open;          /* the handshake was written */
} tcp_synth;

/* A peer numbered peer_no (1, 2, ...) whose server port is server_port. */
void tcp_synth_init(tcp_synth *s, unsigned peer_no, uint16_t server_port);
/* The packet (headers + payload, at most 65495 payload bytes) into out (room: 54 + len);
 * from_gw: the gateway sent it. flags: TCP flags (0x18 PSH|ACK for data). Returns its length. */
size_t tcp_synth_packet(tcp_synth *s, bool from_gw, uint8_t flags, const uint8_t *payload, size_t len,
                        uint8_t *out);
#define TCP_SYNTH_HEADERS 54
#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_PSH_ACK 0x18
#define TCP_FIN_ACK 0x11
#endif
