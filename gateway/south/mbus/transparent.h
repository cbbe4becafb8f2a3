/* transparent: Transparent M-Bus over TCP for one wired segment (internal to
 * south/mbus; CMe3100 "Transparent M-Bus", docs/mbus.md).
 *
 * One TCP client at a time (a second is turned away while one is connected).
 * Its bytes become requests on the segment's line (port.h), one at a time,
 * and whatever the line answers goes back to it: a whole frame, or the bytes
 * of a garbled answer as they came (a collision is for the client to see).
 * packing mbus takes whole, valid frames out of the client's stream
 * (codec/mbus/mbus_stream.h; other bytes are dropped); packing raw sends the
 * bytes that came before packing_interval of client silence as one request.
 *
 * The line is the segment's: the client's first request asks it for the bus
 * (hook want_bus), and the segment grants it between two meters, never inside
 * a transaction (mbus_transparent_granted). The client's requests wait until
 * then. After idle_timeout without a client request or a close, the bus goes
 * back (hook released) and the readout resumes; the next request asks again. */
#ifndef GW_MBUS_TRANSPARENT_H
#define GW_MBUS_TRANSPARENT_H
#include <stdbool.h>
#include <stddef.h>

#include "core/loop.h"
#include "south/mbus/mbus_config.h"
#include "south/mbus/port.h"

typedef struct mbus_transparent mbus_transparent;

typedef struct mbus_transparent_hooks {
    void (*want_bus)(void *ctx); /* a request waits for the line */
    void (*released)(void *ctx); /* the line is free again (or no longer wanted) */
} mbus_transparent_hooks;

typedef struct mbus_transparent_stats {
    unsigned long long requests, answers, timeouts, garbled, dropped_bytes, refused_clients;
} mbus_transparent_stats;

/* Listen on cfg->transparent's port; NULL with a message when it cannot. */
mbus_transparent *mbus_transparent_open(const mbus_segment_cfg *cfg, gw_loop *loop,
                                        mbus_port *port, const mbus_transparent_hooks *hooks,
                                        void *ctx, char *err, size_t errlen);
void mbus_transparent_close(mbus_transparent *t); /* NULL is fine; never calls hooks */
/* The segment hands the line over (after want_bus). */
void mbus_transparent_granted(mbus_transparent *t);
void mbus_transparent_get_stats(const mbus_transparent *t, mbus_transparent_stats *out);
#endif
