/* iochan: every byte (or datagram) the gateway exchanges with a peer goes
 * through a channel that counts it.
 *
 * Why: in virtual time the bench may only advance the clock when nothing is in
 * flight. Both sides count what they wrote to and read from each channel; the
 * gateway reports its counters with every idle message and the bench compares.
 * Drivers and servers therefore never call read()/write()/send()/recv() on a
 * peer's fd directly.
 *
 * Channel names must be the same on both sides:
 *   serial:  the device path as configured ("/dev/pts/7")
 *   TCP:     "tcp:<server port>:<client port>" (both sides know both ports)
 *   UDP:     "udp:<local port>:<peer port>" (counts datagrams, not bytes)
 */
#ifndef GW_IOCHAN_H
#define GW_IOCHAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef struct iochan iochan;

/* Register fd under name (copied). The channel does not own the fd. */
iochan *iochan_open(int fd, const char *name, bool datagram);
/* Unregister; the counters of a closed channel stay reported (as closed) so the
 * bench can still match what was exchanged before the close. */
void iochan_close(iochan *ch);

/* read(2)/write(2)/recvfrom/sendto that count what went through. Same return values. */
ssize_t iochan_read(iochan *ch, void *buf, size_t len);
ssize_t iochan_write(iochan *ch, const void *buf, size_t len);
ssize_t iochan_recvfrom(iochan *ch, void *buf, size_t len, struct sockaddr *from, socklen_t *fromlen);
ssize_t iochan_sendto(iochan *ch, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen);

/* For libraries that do their own I/O on the fd (libmodbus): count what their
 * calls report having read/written. */
void iochan_count_rx(iochan *ch, uint64_t n);
void iochan_count_tx(iochan *ch, uint64_t n);

int iochan_fd(const iochan *ch);
const char *iochan_name(const iochan *ch);
uint64_t iochan_rx(const iochan *ch); /* bytes (datagrams) read */
uint64_t iochan_tx(const iochan *ch); /* bytes (datagrams) written */

/* The registry of every channel opened so far (open and closed), in open order. */
size_t iochan_count(void);
const iochan *iochan_at(size_t index);
bool iochan_is_open(const iochan *ch);
/* Free every channel record (at exit, for leak checkers). */
void iochan_registry_free(void);
#endif
