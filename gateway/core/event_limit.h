/* event_limit: at most `burst` events of one kind per `interval`, then one
 * summary with the number left out, so a hostile peer (malformed ASDUs, a
 * flood of connections) cannot fill the store's events table and the log with
 * one line per thing it does wrong. Only the telling is limited: the caller's
 * counters stay exact, and the summary says how many were left out.
 *
 * A window starts with the first event; the first `burst` events in it are
 * told (event_limit_take returns true), the rest counted; when the window ends
 * a loop timer hands the count to `summary` (once), and the next event starts
 * a new window. So at most burst + 1 events per interval. */
#ifndef GW_EVENT_LIMIT_H
#define GW_EVENT_LIMIT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"

#define EVENT_LIMIT_BURST 10
#define EVENT_LIMIT_INTERVAL_NS (60 * 1000000000LL)

typedef void (*event_limit_fn)(void *arg, uint64_t left_out, int64_t interval_ns);

typedef struct event_limit {
    gw_loop *loop; /* NULL: the summary comes with the next event or at stop */
    unsigned burst;
    int64_t interval_ns;
    bool open;          /* a window is running */
    int64_t window_ns;  /* its start (monotonic clock) */
    unsigned told;      /* events told in it */
    uint64_t left_out;  /* since the last summary */
    loop_timer_id timer;
    event_limit_fn summary;
    void *arg;
} event_limit;

void event_limit_init(event_limit *l, gw_loop *loop, unsigned burst, int64_t interval_ns,
                      event_limit_fn summary, void *arg);
/* true: tell this event; false: counted, to be summed up. */
bool event_limit_take(event_limit *l);
/* The summary of what is left out, now (stop, or a test); the timer cancelled. */
void event_limit_flush(event_limit *l);
/* The count left out, without a summary (the summary's receiver may be gone, as at a
 * report module's free); the timer cancelled, the count cleared. */
uint64_t event_limit_cancel(event_limit *l);
#endif
