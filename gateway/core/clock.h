/* clock: the only module that reads the system clock.
 *
 * Every other module asks here for "now". Two time bases:
 *  - monotonic nanoseconds (timers, timeouts; never jumps),
 *  - wall nanoseconds since the Unix epoch, UTC (timestamps in data and reports).
 * In virtual mode (the bench is the time master) both only move when
 * clock_virtual_advance() is called; wall = start + (mono - mono at start). */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

#define NS_PER_US 1000LL
#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

int64_t clock_mono_ns(void);
int64_t clock_wall_ns(void);

/* Switch to virtual time: monotonic time starts at 0, wall time at wall_start_ns. */
void clock_use_virtual(int64_t wall_start_ns);
bool clock_is_virtual(void);
/* Back to the system clocks (tests; the gateway picks a mode once at start). */
void clock_use_real(void);
/* Move virtual monotonic time forward to mono_ns (never backwards). */
void clock_virtual_advance(int64_t mono_ns);

/* Real elapsed monotonic time in any mode, for watchdogs only (a stuck
 * co-simulation must fail after so many real seconds even while the clock is
 * virtual). Never use it for anything a scenario could observe. */
int64_t clock_host_mono_ns(void);

/* Format wall time as ISO 8601 UTC with milliseconds ("2026-11-22T01:02:03.456Z"). */
void clock_format_iso(int64_t wall_ns, char *out, unsigned cap);
#endif
