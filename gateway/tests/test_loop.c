/* Unit tests of the event loop: timer order, cancel, fds, signals, stop. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"
#include "tests/test.h"

/* Timer callbacks append their tag here. */
static char fired[4096];
static size_t n_fired;

static void record(gw_loop *loop, void *arg) {
    fired[n_fired++] = (char)(intptr_t)arg;
    fired[n_fired] = '\0';
}

static void reset_fired(void) {
    n_fired = 0;
    fired[0] = '\0';
}

static void test_timer_order(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    reset_fired();
    CHECK_INT(loop_next_deadline(loop), INT64_MAX);
    loop_timer_at(loop, 30, record, (void *)'d');
    loop_timer_at(loop, 10, record, (void *)'a');
    loop_timer_at(loop, 20, record, (void *)'c');
    loop_timer_at(loop, 10, record, (void *)'b'); /* same deadline as 'a', created later */
    CHECK_INT(loop_next_deadline(loop), 10);
    CHECK_INT(loop_run_once(loop, 0), 0); /* nothing due at time 0 */
    CHECK_STR(fired, "");
    clock_virtual_advance(20);
    CHECK_INT(loop_run_once(loop, 0), 3);
    CHECK_STR(fired, "abc");
    CHECK_INT(loop_next_deadline(loop), 30);
    clock_virtual_advance(100);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_STR(fired, "abcd");
    CHECK_INT(loop_next_deadline(loop), INT64_MAX);
    loop_free(loop);
}

static void test_cancel(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    reset_fired();
    loop_timer_id a = loop_timer_after(loop, 5, record, (void *)'a');
    loop_timer_id b = loop_timer_after(loop, 5, record, (void *)'b');
    loop_timer_id c = loop_timer_after(loop, 1, record, (void *)'c');
    CHECK(a != 0 && b != 0 && c != 0 && a != b && b != c);
    loop_timer_cancel(loop, b);
    loop_timer_cancel(loop, b);          /* twice: harmless */
    loop_timer_cancel(loop, 0);          /* never valid: harmless */
    loop_timer_cancel(loop, 0xDEAD0042); /* unknown: harmless */
    loop_timer_cancel(loop, c);          /* the earliest: next deadline moves */
    CHECK_INT(loop_next_deadline(loop), 5);
    clock_virtual_advance(10);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_STR(fired, "a");
    /* A fired id stays dead even when its slot is reused by a new timer. */
    loop_timer_id d = loop_timer_after(loop, 5, record, (void *)'d');
    loop_timer_cancel(loop, a);
    loop_timer_cancel(loop, b);
    CHECK(d != a && d != b);
    clock_virtual_advance(20);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_STR(fired, "ad");
    loop_free(loop);
}

/* Timers that change the timer set from inside their callback. */
static loop_timer_id victim;

static void cancel_victim(gw_loop *loop, void *arg) {
    record(loop, arg);
    loop_timer_cancel(loop, victim);
}

static void rearm_now(gw_loop *loop, void *arg) {
    record(loop, arg);
    loop_timer_after(loop, 0, record, (void *)'z');
}

static void test_timers_from_callbacks(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    reset_fired();
    loop_timer_at(loop, 10, cancel_victim, (void *)'k');
    victim = loop_timer_at(loop, 10, record, (void *)'v');
    loop_timer_at(loop, 10, rearm_now, (void *)'r');
    clock_virtual_advance(10);
    /* 'v' was cancelled by 'k'; 'z' (created during dispatch) waits one round. */
    CHECK_INT(loop_run_once(loop, 0), 2);
    CHECK_STR(fired, "kr");
    CHECK_INT(loop_next_deadline(loop), 10);
    CHECK_INT(loop_run_once(loop, -1), 1); /* a due timer: no blocking */
    CHECK_STR(fired, "krz");
    loop_free(loop);
}

/* Many timers with pseudo-random deadlines and cancels: fire order must be
 * (deadline, creation) order. */
static int64_t deadlines[2000];
static int order[2000], n_order;

static void record_index(gw_loop *loop, void *arg) {
    order[n_order++] = (int)(intptr_t)arg;
}

static void test_heap_stress(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    loop_timer_id ids[2000];
    uint32_t rnd = 12345;
    for (int i = 0; i < 2000; i++) {
        rnd = rnd * 1103515245u + 12345u;
        deadlines[i] = (rnd >> 16) % 100; /* many equal deadlines */
        ids[i] = loop_timer_at(loop, deadlines[i], record_index, (void *)(intptr_t)i);
    }
    for (int i = 0; i < 2000; i += 3)
        loop_timer_cancel(loop, ids[i]);
    n_order = 0;
    clock_virtual_advance(1000);
    CHECK_INT(loop_run_once(loop, 0), 2000 - 667);
    CHECK_INT(n_order, 2000 - 667);
    int bad = 0;
    for (int k = 0; k < n_order; k++) {
        if (order[k] % 3 == 0)
            bad++;
        if (k > 0) {
            int p = order[k - 1], q = order[k];
            if (deadlines[p] > deadlines[q] || (deadlines[p] == deadlines[q] && p > q))
                bad++;
        }
    }
    CHECK_INT(bad, 0);
    loop_free(loop);
}

/* ---- fds ---- */

typedef struct fd_probe {
    int calls;
    unsigned events;
    int other_fd; /* fd to remove from inside the callback, or -1 */
    bool remove_self;
} fd_probe;

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    fd_probe *p = arg;
    p->calls++;
    p->events = events;
    if (events & LOOP_READ) {
        char buf[16];
        (void)!read(fd, buf, sizeof buf);
    }
    if (p->other_fd >= 0)
        loop_del_fd(loop, p->other_fd);
    if (p->remove_self)
        loop_del_fd(loop, fd);
}

static void test_fd_readiness(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    fd_probe probe = {.other_fd = -1};
    CHECK_INT(loop_add_fd(loop, pfd[0], LOOP_READ, on_fd, &probe), 0);
    CHECK_INT(loop_add_fd(loop, pfd[0], LOOP_READ, on_fd, &probe), -1); /* one callback per fd */
    CHECK_INT(loop_run_once(loop, 0), 0);
    CHECK_INT(probe.calls, 0);
    CHECK(write(pfd[1], "x", 1) == 1);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_INT(probe.calls, 1);
    CHECK_INT(probe.events, LOOP_READ);
    CHECK_INT(loop_run_once(loop, 0), 0); /* drained */

    /* Write readiness on the other end, switched on with loop_mod_fd. */
    fd_probe wprobe = {.other_fd = -1};
    CHECK_INT(loop_add_fd(loop, pfd[1], 0, on_fd, &wprobe), 0);
    CHECK_INT(loop_run_once(loop, 0), 0);
    CHECK_INT(loop_mod_fd(loop, pfd[1], LOOP_WRITE), 0);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_INT(wprobe.events, LOOP_WRITE);
    CHECK_INT(loop_mod_fd(loop, 999, LOOP_READ), -1);
    loop_del_fd(loop, pfd[1]);
    loop_del_fd(loop, pfd[1]); /* unknown: harmless */

    /* A callback that removes itself is not called again. */
    probe.remove_self = true;
    CHECK(write(pfd[1], "yy", 2) == 2);
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK(write(pfd[1], "z", 1) == 1);
    CHECK_INT(loop_run_once(loop, 0), 0);
    CHECK_INT(probe.calls, 2);
    close(pfd[0]);
    close(pfd[1]);
    loop_free(loop);
}

static void test_fd_removed_by_earlier_callback(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    fd_probe first = {.other_fd = b[0]}, second = {.other_fd = -1};
    loop_add_fd(loop, a[0], LOOP_READ, on_fd, &first);
    loop_add_fd(loop, b[0], LOOP_READ, on_fd, &second);
    CHECK(write(a[1], "1", 1) == 1 && write(b[1], "2", 1) == 1);
    /* Both are ready, but the first callback removes the second fd. */
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_INT(first.calls, 1);
    CHECK_INT(second.calls, 0);
    /* Hang-up is delivered as read readiness (read then returns 0). */
    close(a[1]);
    first.other_fd = -1;
    CHECK_INT(loop_run_once(loop, 0), 1);
    CHECK_INT(first.calls, 2);
    CHECK_INT(first.events, LOOP_READ);
    close(a[0]);
    close(b[0]);
    close(b[1]);
    loop_free(loop);
}

/* ---- signals and run/stop ---- */

static int signal_seen;

static void on_signal(gw_loop *loop, int signo, void *arg) {
    signal_seen = signo;
    loop_stop(loop, 3);
}

static void test_signal(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    CHECK_INT(loop_on_signal(loop, SIGUSR1, on_signal, NULL), 0);
    CHECK_INT(loop_on_signal(loop, SIGUSR2, on_signal, NULL), 0);
    raise(SIGUSR2); /* blocked: stays pending for the signalfd instead of killing us */
    CHECK_INT(loop_run(loop), 3);
    CHECK_INT(signal_seen, SIGUSR2);
    CHECK(loop_stopped(loop));
    loop_free(loop);
    /* loop_free restored the signal mask. */
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    CHECK(!sigismember(&mask, SIGUSR1));
}

static void stop_with_7(gw_loop *loop, void *arg) {
    loop_stop(loop, 7);
}

static void test_real_time_wait(void) {
    clock_use_real();
    gw_loop *loop = loop_new();
    int64_t start = clock_mono_ns();
    loop_timer_after(loop, 15 * NS_PER_MS, stop_with_7, NULL);
    CHECK_INT(loop_run(loop), 7);
    int64_t waited = clock_mono_ns() - start;
    CHECK_MSG(waited >= 15 * NS_PER_MS && waited < 500 * NS_PER_MS, "waited %lld ns",
              (long long)waited);
    /* max_wait bounds the wait when the timer is later. */
    loop_timer_after(loop, 10 * NS_PER_S, stop_with_7, NULL);
    start = clock_mono_ns();
    CHECK_INT(loop_run_once(loop, 5 * NS_PER_MS), 0);
    waited = clock_mono_ns() - start;
    CHECK_MSG(waited >= 5 * NS_PER_MS && waited < 500 * NS_PER_MS, "waited %lld ns",
              (long long)waited);
    loop_free(loop);
}

static void test_nothing_to_wait_for(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    CHECK_INT(loop_run_once(loop, -1), -1); /* would block forever */
    /* Virtual time: a future timer alone cannot be waited for either. */
    loop_timer_after(loop, NS_PER_S, record, (void *)'q');
    CHECK_INT(loop_run_once(loop, -1), -1);
    CHECK_INT(loop_run_once(loop, 0), 0);
    loop_free(loop);
}

int main(void) {
    test_timer_order();
    test_cancel();
    test_timers_from_callbacks();
    test_heap_stress();
    test_fd_readiness();
    test_fd_removed_by_earlier_callback();
    test_signal();
    test_real_time_wait();
    test_nothing_to_wait_for();
    return test_summary("test_loop");
}
