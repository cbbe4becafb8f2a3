/* dlms_tcp: DLMS meters reached over TCP with the IEC 62056-47 wrapper
 * (`plant: dlms:` item with `transport: tcp`).
 *
 * Meter i listens on 127.0.0.1:<first port + i> (a run of free ports, so the
 * gateway's `port: ${port:<name>}` with `count:` reaches them all) and holds a
 * dlms_meter with the network's fixture. One connection per meter: a new one
 * replaces an old one the gateway abandoned. Requests are reassembled from the
 * stream by the wrapper header's length and answered `response_delay` later
 * from a loop timer, one answer per co-simulation step across all DLMS
 * emulators (hplc_gate_pass). A node's `drop_at` closes the listener (connects
 * are refused) and mutes the open connection (a meter that lost power answers
 * nothing and sends no FIN: the gateway finds out by its timeouts);
 * `return_at` / `join_at` listen again. I/O goes through iochan as
 * "tcp:<meter port>:<gateway port>" (docs/virtual-time.md). */
#ifndef SIM_DLMS_TCP_H
#define SIM_DLMS_TCP_H
#include "sim/dlms/hplc_net.h"

typedef struct dlms_tcp dlms_tcp;

/* Bind the listeners (not yet watched). NULL with err. */
dlms_tcp *dlms_tcp_new(const hplc_net_spec *spec, gw_loop *loop, trace *tr, char *err, size_t errlen);
/* Watch the listeners, schedule joins, drops and returns; -1 on failure. */
int dlms_tcp_start(dlms_tcp *b);
const char *dlms_tcp_port_text(const dlms_tcp *b); /* ${port:<name>}: meter 0's port */
const char *dlms_tcp_name(const dlms_tcp *b);
/* Requests, answers, connections, blocks, clock sets as JSON (dlms_<name>.json). */
int dlms_tcp_write_stats(const dlms_tcp *b, const char *path);
void dlms_tcp_free(dlms_tcp *b); /* NULL is fine */
#endif
