/* serial_port: open a tty for a wired M-Bus segment.
 *
 * M-Bus framing is 8E1 (8 data bits, even parity, 1 stop bit), raw bytes, no
 * flow control. The descriptor is non-blocking so that the event loop does all
 * the waiting. */
#ifndef GW_SERIAL_PORT_H
#define GW_SERIAL_PORT_H
#include <stdbool.h>
#include <stddef.h>

/* Baud rates M-Bus masters use: 300 .. 38400. */
bool serial_baud_supported(long baud);

/* Open device raw 8E1 at baud with O_NONBLOCK|O_NOCTTY. Returns the fd, or -1
 * with a message in err. */
int serial_open(const char *device, long baud, char *err, size_t errlen);

/* Change the baud rate of an open port (per-meter baud on one segment); the
 * caller does it between transactions. Returns false when it fails. */
bool serial_set_baud(int fd, long baud);

/* Throw away bytes received but not yet read (stale answers before a request). */
void serial_flush_input(int fd);
#endif
