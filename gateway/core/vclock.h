/* vclock: the gateway's side of the virtual-time protocol (docs/virtual-time.md).
 *
 * With `gwd --clock virtual:SOCKET` the bench is the time master. The gateway
 * connects to the bench's Unix socket, gets a hello with the scenario's wall
 * start, and from then on its clock moves only on the bench's `advance`
 * messages. Whenever it has nothing to do (no ready fd, no due timer) it says
 * so in an `idle` line with its next timer deadline and the counters of every
 * I/O channel (iochan.h), then blocks until the bench writes to it or advances
 * the clock. One text message per line:
 *
 *   bench → gateway   hello v=1 wall=<ns since the epoch>
 *                     advance seq=<n> t=<monotonic ns>
 *                     stop
 *   gateway → bench   idle seq=<last advance seq> deadline=<ns or -1> [<name>=<tx>/<rx> ...]
 */
#ifndef GW_VCLOCK_H
#define GW_VCLOCK_H
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

#define VCLOCK_HELLO_TIMEOUT_NS (30 * 1000000000LL) /* real time to wait for the hello */

typedef struct vclock vclock;

/* Connect to the bench at socket_path, wait for its hello and switch the clock
 * to virtual time starting at the hello's wall time. Call it before anything
 * reads the clock. NULL and a message in err on failure. */
vclock *vclock_connect(const char *socket_path, char *err, size_t errlen);
/* Watch the control socket in loop (advance, stop, the bench going away). */
int vclock_attach(vclock *vc, gw_loop *loop);
/* Run the loop in virtual time until it is stopped (SIGTERM, `stop`, the bench
 * gone): dispatch while anything happens, report idle when something changed
 * since the last report, then block on the fds. Returns 0, or 1 when the
 * protocol failed (the bench went away, a bad message). */
int vclock_run(vclock *vc, gw_loop *loop);
void vclock_free(vclock *vc);

/* Protocol helpers, shared with the bench's time master. */
/* The value of key in a message line ("advance seq=3 t=5" → key "t" → "5"):
 * copies it to out and returns 1, 0 when absent. */
int vclock_field(const char *line, const char *key, char *out, size_t cap);
/* The idle line for the current channel counters (same-named channels summed),
 * malloc'd, ending in '\n'. NULL when out of memory. */
char *vclock_idle_line(uint64_t seq, int64_t deadline_ns);
#endif
