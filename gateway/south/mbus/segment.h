/* segment: the readout cycles of one wired M-Bus segment (internal to
 * south/mbus; the public side is mbus_master.h). */
#ifndef GW_MBUS_SEGMENT_H
#define GW_MBUS_SEGMENT_H
#include "south/mbus/mbus_master.h"

/* A scan was asked for (SIGUSR1): at once when the segment is between cycles,
 * else at the start of its next cycle. Segments without a scan ignore it. */
void mbus_segment_scan_requested(mbus_segment *seg, int signo);
/* The segment's name (its configuration's). */
const char *mbus_segment_name(const mbus_segment *seg);
/* A scan of the given mode asked for through the datahub (DH_COMMAND
 * "<segment>/scan" with "secondary" or "primary", from the web API): like the
 * signal, but also on a segment without a scan configured. A scan already
 * running is not interrupted: the request is then ignored (with an event). */
void mbus_segment_scan_command(mbus_segment *seg, mbus_scan_mode mode);
#endif
