/* hplc_net: an emulated power-line (HPLC / G3-style) network of DLMS meters
 * reached over UDP with the IEC 62056-47 wrapper.
 *
 * Each node is a UDP socket on 127.0.0.1 (port base + i) holding a dlms_meter.
 * A datagram crosses `hops` hops, each taking hop_latency plus its size over
 * the bandwidth, both ways; a loss rate drops datagrams (seeded, so a run is
 * reproducible); datagrams larger than max_packet are dropped (the PLC packet
 * limit); nodes can join late, drop off and return (their association is lost).
 * I/O goes through iochan as "udp:<gateway port>:<node port>".
 *
 * Scenario syntax (plant: dlms:) is in docs/dlms.md. */
#ifndef SIM_HPLC_NET_H
#define SIM_HPLC_NET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "sim/dlms/dlms_meter.h"
#include "core/loop.h"
#include "sim/scenario/scenario_path.h"
#include "sim/core/trace.h"

typedef struct hplc_node_spec {
    int64_t join_at_ns, drop_at_ns, return_at_ns; /* -1: never */
    bool has_password;
    char password[DLMS_MAX_SECRET + 1];
    bool has_ek;
    uint8_t ek[DLMS_KEY_LEN];
    double drift_ppm;
    bool has_drift;
    int64_t clock_offset_ns;
    bool has_offset;
    dlms_quirks quirks;    /* the network's quirks with this node's own keys on top */
    bool has_quirks;
} hplc_node_spec;

typedef enum { HPLC_TR_UDP, HPLC_TR_HDLC, HPLC_TR_TCP } hplc_transport;

typedef struct hplc_net_spec {
    char name[32];
    hplc_transport transport;  /* udp: an HPLC network; hdlc: an RS-485 line (rs485_line.h);
                                  tcp: meters on TCP listeners (dlms_tcp.h) */
    /* hdlc only */
    long baud;                 /* 300 .. 115200, 8N1 */
    uint16_t logical, physical; /* logical device; physical address of meter 0 (+i each) */
    size_t max_info;           /* the meters' largest information field */
    int64_t response_delay_ns; /* hdlc: from the request's last stop bit to the answer's first
                                  start bit; tcp: from the request to the answer */
    size_t nodes;
    dlms_meter_spec meter;     /* fixture + network-wide security */
    int hops, max_hops;        /* node i: hops + i % max_hops (max_hops 1: all equal) */
    int64_t hop_latency_ns;
    double loss;
    double bandwidth;          /* bytes/s per hop, 0 = unlimited */
    size_t max_packet;         /* UDP payload limit, 0 = none */
    uint64_t seed;
    hplc_node_spec *node;      /* one per node */
} hplc_net_spec;

/* Parse a `plant: dlms:` sequence item; the meter file as scenario_path.h resolves it. */
bool hplc_net_spec_parse(const cfg_node *n, const scenario_paths *paths, hplc_net_spec *spec, cfg_err *err);
void hplc_net_spec_free(hplc_net_spec *spec);
/* Meter i of the network: the fixture with its serial and system title made
 * unique and the node's own settings (password, key, drift, offset) applied. */
void hplc_node_meter_spec(const hplc_net_spec *spec, size_t i, dlms_meter_spec *out);

/* Determinism: the gateway gets at most one DLMS answer per co-simulation step
 * (two written at one instant to two sockets reach it in either order). An
 * emulator about to write an answer calls hplc_gate_pass: true means write now
 * (the gate closes until a zero-delay timer of this step reopens it), false
 * means try again from a timer at the same instant. Shared by every DLMS
 * emulator of the bench (UDP nodes and TCP meters). */
bool hplc_gate_pass(gw_loop *loop);

typedef struct hplc_net hplc_net;

/* Bind the nodes' sockets (a free port range) and pick the gateway's port range. */
hplc_net *hplc_net_new(const hplc_net_spec *spec, gw_loop *loop, trace *tr, char *err, size_t errlen);
int hplc_net_start(hplc_net *net);
/* ${port:<name>} and ${port:<name>:gw}: the nodes' and the gateway's first port. */
const char *hplc_net_port_text(const hplc_net *net);
const char *hplc_net_gw_port_text(const hplc_net *net);
const char *hplc_net_name(const hplc_net *net);
/* Statistics as JSON (requests, answers, drops, round trips, first request
 * and last answer) for make bench. */
int hplc_net_write_stats(const hplc_net *net, const char *path);
void hplc_net_free(hplc_net *net);
#endif
