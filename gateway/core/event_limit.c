/* event_limit: a bounded number of events per interval, then one summary. */
#include "core/event_limit.h"

#include "core/clock.h"

void event_limit_init(event_limit *l, gw_loop *loop, unsigned burst, int64_t interval_ns,
                      event_limit_fn summary, void *arg) {
    *l = (event_limit){.loop = loop, .burst = burst, .interval_ns = interval_ns,
                       .summary = summary, .arg = arg};
}

uint64_t event_limit_cancel(event_limit *l) {
    if (l->timer && l->loop)
        loop_timer_cancel(l->loop, l->timer);
    l->timer = 0;
    uint64_t n = l->left_out;
    l->left_out = 0;
    return n;
}

void event_limit_flush(event_limit *l) {
    uint64_t n = event_limit_cancel(l);
    if (n && l->summary)
        l->summary(l->arg, n, l->interval_ns);
}

static void on_window_end(gw_loop *loop, void *arg) {
    (void)loop;
    event_limit *l = arg;
    l->timer = 0;
    event_limit_flush(l);
}

bool event_limit_take(event_limit *l) {
    int64_t now = clock_mono_ns();
    if (!l->open || now - l->window_ns >= l->interval_ns) {
        event_limit_flush(l); /* the last window's, if its timer has not run yet */
        l->open = true;
        l->window_ns = now;
        l->told = 0;
    }
    if (l->told < l->burst) {
        l->told++;
        return true;
    }
    l->left_out++;
    if (!l->timer && l->loop)
        l->timer = loop_timer_after(l->loop, l->window_ns + l->interval_ns - now, on_window_end, l);
    return false;
}
