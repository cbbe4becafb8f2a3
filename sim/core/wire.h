/* wire: time arithmetic of an asynchronous serial line (M-Bus: 8E1 = 11 bits a byte).
 *
 * Bytes from the gateway arrive through the pty all at once, but on a real bus they
 * take n * 11 bit times; wire_place() models that occupation so that request ends,
 * response delays and idle gaps are computed as on the wire. */
#ifndef SIM_WIRE_H
#define SIM_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define WIRE_BITS_PER_BYTE 11 /* start + 8 data + even parity + stop */

/* Duration of `bits` bit times at `baud`, in ns (exact up to rounding down). */
int64_t wire_bits_ns(unsigned baud, int64_t bits);
/* Duration of n bytes (11 bits each). */
int64_t wire_bytes_ns(unsigned baud, size_t n);

/* The line: busy until busy_until_ns (monotonic ns). */
typedef struct wire {
    int64_t busy_until_ns;
} wire;

/* n bytes that became available at time t: they start when the line is free
 * (max(t, busy)) and occupy it n byte times. Returns the start; *end gets the end. */
int64_t wire_place(wire *w, int64_t t, unsigned baud, size_t n, int64_t *end);

/* Baud rate <-> termios speed constant; 0 / (speed_t)-1 when not a standard rate. */
unsigned wire_baud_from_speed(unsigned speed);
unsigned wire_speed_from_baud(unsigned baud);
#endif
