/* segment: the readout cycles of one wired M-Bus segment (internal to
 * south/mbus; the public side is mbus_master.h). */
#ifndef GW_MBUS_SEGMENT_H
#define GW_MBUS_SEGMENT_H
#include "south/mbus/mbus_master.h"

/* A scan was asked for (SIGUSR1): at once when the segment is between cycles,
 * else at the start of its next cycle. Segments without a scan ignore it. */
void mbus_segment_scan_requested(mbus_segment *seg, int signo);
#endif
