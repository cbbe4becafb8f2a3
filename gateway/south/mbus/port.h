/* port: the serial line of one wired M-Bus segment (internal to south/mbus).
 *
 * One request is on the line at a time, and the port has at most one timer:
 *   IDLE      no request pending
 *   GAP       waiting until the line has been quiet for request_gap
 *   SENDING   request handed to the port (only lingers if the write would block)
 *   ANSWER    request left the wire; waiting response_timeout for the first byte
 *   RECEIVING bytes arriving; a complete frame ends it at once, idle_timeout of
 *             silence (or the longest frame's time) ends it as a bad answer
 *   LISTEN    after an answer (mbus_port_await_more): does another one begin?
 * Bytes arriving in IDLE or GAP are stray (late answers, echoes of a collision):
 * they are discarded and push the gap back, which drains the line. An echoing
 * level converter's copy of our request is skipped. Whoever asks gets the
 * outcome through the hooks given with the request. */
#ifndef GW_MBUS_PORT_H
#define GW_MBUS_PORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "codec/mbus/mbus_link.h"
#include "south/mbus/mbus_config.h"
#include "south/mbus/mbus_rx.h"

#define MBUS_PORT_TX_MAX 2048 /* a request; a wake-up sequence of up to 2 s at 9600 baud */

typedef struct mbus_port mbus_port;

/* What became of a request; ctx is the one given with it. The answer's bytes
 * are in mbus_port_rx() until the next request; a frame that does not parse
 * is a bad answer. A hook the sender's requests cannot trigger may be NULL
 * (`sent` needs answered = false, `more` and `quiet` mbus_port_await_more). */
typedef struct mbus_port_hooks {
    void (*sent)(void *ctx);                 /* an unanswered request left the wire */
    void (*frame)(void *ctx, const mbus_frame *f); /* a frame came (into the rx buffer) */
    void (*timeout)(void *ctx);              /* no answer began in the response timeout */
    void (*bad)(void *ctx, const char *why); /* the answer ended without a frame */
    void (*more)(void *ctx);                 /* after await_more: another answer began */
    void (*quiet)(void *ctx);                /* after await_more: none did */
} mbus_port_hooks;

typedef struct mbus_port_request {
    const uint8_t *bytes;
    size_t len;
    long baud;         /* the meter's: the port follows it, and so do `auto` timings */
    bool answered;     /* false for broadcasts and wake-up sequences */
    const char *label; /* who is asked, for the debug log */
} mbus_port_request;

typedef struct mbus_port_stats {
    uint64_t requests; /* requests sent */
    uint64_t timeouts; /* answered requests that got no answer in time */
} mbus_port_stats;

/* Open the segment's serial port (cfg must outlive the port); NULL with a
 * message in err when it cannot be opened. */
mbus_port *mbus_port_open(const mbus_segment_cfg *cfg, gw_loop *loop, char *err, size_t errlen);
void mbus_port_close(mbus_port *p); /* NULL is fine */

/* Send once the line has been quiet for request_gap (bytes are copied). */
void mbus_port_send(mbus_port *p, const mbus_port_request *req, const mbus_port_hooks *hooks,
                       void *ctx);
/* After a frame: listen on while another answer to the same request could
 * still begin (up to response_timeout after it left the wire, and at least a
 * request gap from now); hooks `more` or `quiet` tell. */
void mbus_port_await_more(mbus_port *p);
/* Nothing more to send for now: the pending timer is cancelled. */
void mbus_port_idle(mbus_port *p);

const mbus_rx *mbus_port_rx(const mbus_port *p);
void mbus_port_get_stats(const mbus_port *p, mbus_port_stats *out);
/* Time for n bytes (11 bits each: start, 8 data, parity, stop) at baud. */
int64_t mbus_port_bytes_ns(long baud, size_t n);
#endif
