/* dlms_client: the DLMS/COSEM client (polling), one engine per configured
 * network, driven only by the event loop.
 *
 * A meter is read in a job: associate (AARQ; LLS password or HLS-GMAC with
 * security suite 0), read the objects of its due polling groups (registers
 * with their scaler/unit in one GET with list, clock with sync when off by more
 * than the threshold, data, profiles by range from the last entry read,
 * disconnect control), release. Up to max_parallel meters of a network are
 * read at the same time (UDP nodes); a serial line reads one at a time.
 * Every request is retried `retries` times after `timeout`; a successful
 * answer is followed by the `silent` window before the next request to that
 * meter; a meter that fails waits `reconnect_delay`, keeps its due groups and
 * its profile position (backfill). See docs/dlms.md. */
#ifndef DLMS_CLIENT_H
#define DLMS_CLIENT_H
#include <stddef.h>

#include "core/datahub.h"
#include "south/dlms/dlms_config.h"
#include "core/loop.h"
#include "core/state.h"

typedef struct dlms_client dlms_client;

/* Start every network of cfg (cfg must outlive the client). NULL with err on
 * failure (a socket that cannot be bound). An empty config gives a client
 * that does nothing. */
dlms_client *dlms_client_start(const dlms_config *cfg, gw_loop *loop, datahub *hub, char *err,
                               size_t errlen);
void dlms_client_stop(dlms_client *c); /* NULL is fine */
/* Keep the HLS frame counters and the profile read positions in state (NULL:
 * none, e.g. no store) so a restart neither reuses a counter nor reads the
 * profiles' days again. Call right after dlms_client_start, before the loop runs. */
void dlms_client_use_state(dlms_client *c, const gw_state *state);
#endif
