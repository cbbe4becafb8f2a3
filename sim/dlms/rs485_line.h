/* rs485_line: an RS-485 multi-drop line of DLMS meters speaking HDLC
 * (IEC 62056-46) on one pseudo-terminal.
 *
 * Each meter is a dlms_meter (sim/dlms/dlms_meter.c) behind an HDLC server station
 * with its own physical address (first physical address + i) and the network's
 * logical device address: it answers SNRM with UA (information field lengths
 * negotiated down to its own limit, window 1), I-frames with I-frames (its
 * answer segmented with the S bit, the next segment sent when the gateway's RR
 * asks for it), non-final segments of a request with RR, DISC with UA (DM when
 * not connected). Frames for other addresses are ignored (multi-drop).
 *
 * Wire time as on the M-Bus segment (docs/virtual-time.md), at 8N1 = 10 bits a
 * byte: a request occupies the line from the instant the bench read it; the
 * addressed meter answers response_delay after its last stop bit, each byte
 * written when its stop bit has ended (tx_pacer). The pty master is counted
 * through iochan under the pty's path. Trace channel: the line's name. */
#ifndef SIM_RS485_LINE_H
#define SIM_RS485_LINE_H
#include <stddef.h>

#include "sim/dlms/hplc_net.h"
#include "core/loop.h"
#include "sim/core/trace.h"

typedef struct rs485_line rs485_line;

/* spec->transport must be HPLC_TR_HDLC; the meters come from spec->meter,
 * per-meter changes from spec->node. */
rs485_line *rs485_line_new(const hplc_net_spec *spec, gw_loop *loop, trace *tr, char *err, size_t errlen);
int rs485_line_start(rs485_line *line);
const char *rs485_line_path(const rs485_line *line); /* ${<name>}: the pty the gateway opens */
const char *rs485_line_name(const rs485_line *line);
/* {"line", "frames", "answers", "segments", "blocks", "ignored"} as JSON. */
int rs485_line_write_stats(const rs485_line *line, const char *path);
void rs485_line_free(rs485_line *line);
#endif
