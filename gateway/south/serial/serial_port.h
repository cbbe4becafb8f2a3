/* serial_port: open a tty for a field bus (M-Bus, RS-485 DLMS, the radio module).
 *
 * Raw bytes, no flow control, modem lines ignored. M-Bus framing is 8E1 (8 data
 * bits, even parity, 1 stop bit); IEC 62056-46 on RS-485 and the radio module's
 * host link are 8N1. The descriptor is non-blocking so that the event loop does
 * all the waiting. */
#ifndef GW_SERIAL_PORT_H
#define GW_SERIAL_PORT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { SERIAL_8E1, SERIAL_8N1 } serial_framing;

/* Baud rates M-Bus masters use: 300 .. 38400. */
bool serial_baud_supported(long baud);
/* Any standard rate a tty can be set to (300 .. 921600). */
bool serial_speed_known(long baud);
/* Open device raw with the given framing at baud, O_NONBLOCK|O_NOCTTY, input
 * flushed. Returns the fd, or -1 with "DEVICE: what failed" in err. */
int serial_open_framed(const char *device, long baud, serial_framing framing, char *err,
                       size_t errlen);
/* An M-Bus segment: serial_open_framed(..., SERIAL_8E1, ...) within the M-Bus rates. */
int serial_open(const char *device, long baud, char *err, size_t errlen);
/* Whether device opens as a serial port, as serial_open would find it, without
 * touching its settings (gwd --check-config). 0, or -1 with serial_open's message. */
int serial_probe(const char *device, char *err, size_t errlen);
/* Change the baud rate of an open port (per-meter baud on one segment); the
 * caller does it between transactions. Returns false when it fails. */
bool serial_set_baud(int fd, long baud);
/* Throw away bytes received but not yet read (stale answers before a request). */
void serial_flush_input(int fd);

#endif
