/* pty_channel: a pseudo-terminal standing in for a serial port.
 *
 * The gateway opens the slave side (its path goes into the gateway's
 * configuration); the bench reads and writes the master side. The bench keeps
 * a slave descriptor open itself so the master never sees a hang-up between the
 * gateway's open/close calls. The baud rate the gateway set is read back with
 * tcgetattr on the master (Linux keeps the speed; it drops the parity flag). */
#ifndef SIM_PTY_CHANNEL_H
#define SIM_PTY_CHANNEL_H
#include <stddef.h>
#include "core/iochan.h"

typedef struct pty_channel {
    int master;       /* non-blocking, close-on-exec */
    int slave;        /* held open by the bench, close-on-exec */
    char path[128];   /* slave device path, e.g. /dev/pts/7 */
    iochan *io;       /* the master side, counted under the path (the gateway's name for it) */
} pty_channel;

/* Open a pty in raw mode (no echo, no translation) at the given initial baud. */
int pty_channel_open(pty_channel *ch, unsigned baud, char *err, size_t errlen);
void pty_channel_close(pty_channel *ch);
/* Baud rate currently set on the line (by the gateway), 0 when unknown. */
unsigned pty_channel_baud(const pty_channel *ch);
#endif
