/* dlms_server_int: what the server's transports share (not for use outside
 * north/dlms_server/): the running server, its frame counter, its challenges.
 *   dlms_server_tcp.c   the wrapper on TCP, start and stop
 *   dlms_server_hdlc.c  HDLC on a serial port (one client station at a time) */
#ifndef DLMS_SERVER_INT_H
#define DLMS_SERVER_INT_H
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"
#include "core/loop.h"
#include "core/state.h"
#include "north/dlms_server/dlms_server.h"
#include "north/dlms_server/dlms_server_config.h"
#include "store/store.h"

typedef struct dlms_hdlc_port dlms_hdlc_port;

struct dlms_server {
    const dlms_server_config *cfg;
    gw_loop *loop;
    datahub *hub;
    gw_store *store;
    const gw_state *state;
    int listen_fd;            /* -1: no TCP */
    struct conn **conns;
    size_t n_conns;
    uint32_t fc, fc_reserved; /* next frame counter; the state holds fc_reserved */
    dlms_hdlc_port *hdlc;     /* NULL: no serial port */
};

/* The server's next frame counter (kept ahead in the state, see dlms_server_tcp.c). */
uint32_t dlms_server_fc(dlms_server *s);
/* Challenge bytes (getrandom). */
void dlms_server_random(void *arg, uint8_t *out, size_t n);

dlms_hdlc_port *dlms_hdlc_open(dlms_server *s, char *err, size_t cap);
void dlms_hdlc_close(dlms_hdlc_port *p);
#endif
