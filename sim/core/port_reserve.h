/* port_reserve: free TCP ports for the gateway under test that no other bench process
 * on this machine hands out at the same time (hil run -j, pytest-xdist workers, several
 * CI jobs on one runner). A port the kernel offers (bind to port 0) is taken only when
 * this process also gets the lock on <dir>/<port> (flock, held until released or the
 * process ends, so a crashed run leaves nothing stale); dir is $HIL_PORT_LOCKS, else
 * /tmp/hil-ports-<uid>. */
#ifndef SIM_PORT_RESERVE_H
#define SIM_PORT_RESERVE_H

/* A free loopback TCP port, reserved; -1 when none could be had. */
int port_reserve(void);
/* Release every port this process reserved (the run that used them has ended). */
void port_reserve_release_all(void);
#endif
