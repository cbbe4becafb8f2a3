/* mbus_master: the wired M-Bus master, one state machine per segment (serial
 * port), driven only by the event loop: the serial fd's readable callback and
 * timers. It never blocks.
 *
 * Every `interval` (the first cycle at start-up), or at the instants of its cron
 * `schedule` (the first at the first instant), a segment reads its meters in
 * order: optional SND_NKE, the secondary-address select for secondary meters,
 * then REQ_UD2 pages (FCB toggling) until the meter says no more records follow
 * or max_pages is reached. Timeouts and bad frames are retried; a meter that
 * never answers gets status not_read and the cycle goes on. After the last
 * meter the segment's counters are published and DH_CYCLE_END is sent with
 * source "mbus:<segment>". */
#ifndef GW_MBUS_MASTER_H
#define GW_MBUS_MASTER_H
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"
#include "core/loop.h"
#include "south/mbus/mbus_config.h"

typedef struct mbus_segment mbus_segment;

/* Counters since start (also published as points "<segment>/<name>"). */
typedef struct mbus_segment_stats {
    uint64_t requests;        /* frames sent (SND_NKE, select, REQ_UD2) */
    uint64_t timeouts;        /* requests that expected an answer and got none in time */
    uint64_t rejected;        /* bad or undecodable answers */
    uint64_t meters_read;
    uint64_t meters_not_read;
    uint64_t cycles;          /* completed readout cycles */
} mbus_segment_stats;

/* Open the segment's serial port and schedule the first cycle now. cfg must
 * outlive the segment. Returns NULL with a message in err when the port
 * cannot be opened. */
mbus_segment *mbus_segment_start(const mbus_segment_cfg *cfg, gw_loop *loop, datahub *hub,
                                 char *err, size_t errlen);
/* Stop at once (a readout in progress is abandoned: records of a meter are
 * published only after its last page), close the port, free. */
void mbus_segment_stop(mbus_segment *seg);
void mbus_segment_get_stats(const mbus_segment *seg, mbus_segment_stats *out);

/* All segments of a configuration. */
typedef struct mbus_master mbus_master;
mbus_master *mbus_master_start(const mbus_config *cfg, gw_loop *loop, datahub *hub, char *err,
                               size_t errlen);
void mbus_master_stop(mbus_master *master); /* NULL is fine */
#endif
