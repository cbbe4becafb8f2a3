/* plant_wiring: what the plant of a run is wired to, one table per way:
 *   plant_bench   ptys and sockets of this PC (plant_bench.c): every plant part
 *   plant_device  the tty devices of a target map (sim/target/plant_device.c): the
 *                 M-Bus segments only; a scenario with other plant parts is skipped
 *                 by a named rule
 * Called by the runner (build, segment_verdict) and by the gateway host (start
 * before the gateway starts, connect after). */
#ifndef SIM_PLANT_WIRING_H
#define SIM_PLANT_WIRING_H
#include <stddef.h>
#include "sim/scenario/run.h"

typedef struct plant_wiring {
    const char *name;
    /* Why a part of this scenario's plant cannot be wired this way, or NULL. */
    const char *(*unwired)(const run *r, char *buf, size_t cap);
    /* Every plant part built, r->vars allocated and filled (${workdir} first, from the
     * gateway host). */
    int (*build)(run *r, char *err, size_t errlen);
    /* What listens for the gateway, watched by the loop (before the gateway starts). */
    int (*start)(run *r, char *err, size_t errlen);
    /* What reaches the gateway (after it started). */
    int (*connect)(run *r, char *err, size_t errlen);
    /* The verdict on one segment after the run (its baud, its frames), if any. */
    void (*segment_verdict)(run *r, const bench_segment *s);
} plant_wiring;

extern const plant_wiring plant_bench;
/* The segment set up as its spec says: slaves, and with full the line's echo, short
 * circuit and noise (the bench's own wire). -1 when out of memory. */
int plant_segment_setup(bench_segment *seg, const segment_spec *spec, bool full);
#endif
