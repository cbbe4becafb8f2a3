/* core/event_limit in virtual time: the first `burst` events of a window are
 * told, the rest counted and summed up once when the window ends (by a loop
 * timer, with no further event needed), the next event opens a new window, and
 * a flush hands over what is still due. */
#include "core/clock.h"
#include "core/event_limit.h"
#include "core/loop.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)

typedef struct summaries {
    int n;
    uint64_t last, total;
    int64_t at_ns, interval_ns;
} summaries;

static void on_summary(void *arg, uint64_t left_out, int64_t interval_ns) {
    summaries *s = arg;
    s->n++;
    s->last = left_out;
    s->total += left_out;
    s->at_ns = clock_mono_ns();
    s->interval_ns = interval_ns;
}

static void run_for(gw_loop *loop, int64_t ns) {
    int64_t end = clock_mono_ns() + ns;
    while (clock_mono_ns() < end) {
        while (loop_run_once(loop, 0) > 0)
            ;
        int64_t next = loop_next_deadline(loop);
        clock_virtual_advance(next > 0 && next < end ? next : end);
    }
    while (loop_run_once(loop, 0) > 0)
        ;
}

static int told(event_limit *l, int n) {
    int yes = 0;
    for (int i = 0; i < n; i++)
        yes += event_limit_take(l);
    return yes;
}

int main(void) {
    clock_use_virtual(S(1000));
    gw_loop *loop = loop_new();
    summaries s = {0};
    event_limit l;
    event_limit_init(&l, loop, 3, S(10), on_summary, &s);
    int64_t t0 = clock_mono_ns();

    CHECK_INT(told(&l, 10), 3); /* a flood: 3 told, 7 left out */
    CHECK_INT(s.n, 0);
    run_for(loop, S(9));
    CHECK_INT(s.n, 0);
    run_for(loop, S(2)); /* the window ended at t0 + 10 s: one summary, no event needed */
    CHECK_INT(s.n, 1);
    CHECK_INT(s.last, 7);
    CHECK_INT(s.at_ns, t0 + S(10));
    CHECK_INT(s.interval_ns, S(10));

    CHECK_INT(told(&l, 2), 2); /* a new window: told again */
    run_for(loop, S(20));
    CHECK_INT(s.n, 1);         /* nothing left out: no summary */

    /* a flood over two windows: burst + 1 events per window at most */
    int yes = 0;
    for (int i = 0; i < 40; i++) {
        yes += event_limit_take(&l);
        run_for(loop, S(1) / 2); /* 20 s */
    }
    CHECK(yes <= 3 * 3);
    CHECK_INT(s.n, 1 + 2);
    CHECK_INT(yes + (int)(s.total - 7), 40 - (int)l.left_out);
    event_limit_flush(&l); /* the stop: what is due now */
    CHECK_INT((uint64_t)yes + s.total - 7, 40);

    /* without a loop: the summary comes with the next window's first event */
    summaries q = {0};
    event_limit m;
    event_limit_init(&m, NULL, 1, S(5), on_summary, &q);
    CHECK_INT(told(&m, 4), 1);
    clock_virtual_advance(clock_mono_ns() + S(6));
    CHECK_INT(q.n, 0);
    CHECK_INT(told(&m, 1), 1);
    CHECK_INT(q.n, 1);
    CHECK_INT(q.last, 3);
    /* cancelled: the count handed back, no summary, nothing left to flush */
    CHECK_INT(told(&m, 3), 0); /* the window's one event was told just above */
    CHECK_INT(event_limit_cancel(&m), 3);
    CHECK_INT(q.n, 1);
    event_limit_flush(&m);
    CHECK_INT(q.n, 1);
    loop_free(loop);
    return test_summary("test_event_limit");
}
