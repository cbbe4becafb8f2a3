/* loop: the event loop. File descriptors, timers and signals, one thread.
 * All waiting in the gateway and in the bench happens here (poll(2)); timers
 * use the monotonic time of clock.h. */
#ifndef GW_LOOP_H
#define GW_LOOP_H
#include <stdint.h>

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

typedef struct gw_loop gw_loop;
typedef void (*loop_fd_cb)(gw_loop *loop, int fd, unsigned events, void *arg);
typedef void (*loop_timer_cb)(gw_loop *loop, void *arg);
typedef void (*loop_signal_cb)(gw_loop *loop, int signo, void *arg);
typedef uint64_t loop_timer_id; /* 0 is never a valid id */

gw_loop *loop_new(void);
void loop_free(gw_loop *loop);

/* Watch fd for the given events (LOOP_READ|LOOP_WRITE). One callback per fd. */
int loop_add_fd(gw_loop *loop, int fd, unsigned events, loop_fd_cb cb, void *arg);
int loop_mod_fd(gw_loop *loop, int fd, unsigned events);
void loop_del_fd(gw_loop *loop, int fd);

/* One-shot timers on the monotonic clock. Cancelling a fired or unknown id is harmless. */
loop_timer_id loop_timer_at(gw_loop *loop, int64_t mono_ns, loop_timer_cb cb, void *arg);
loop_timer_id loop_timer_after(gw_loop *loop, int64_t delay_ns, loop_timer_cb cb, void *arg);
void loop_timer_cancel(gw_loop *loop, loop_timer_id id);
/* Earliest pending timer deadline, or INT64_MAX when none. */
int64_t loop_next_deadline(const gw_loop *loop);

/* Deliver a signal (SIGINT, SIGTERM, SIGCHLD, ...) through the loop (signalfd).
 * The signal is blocked for the process (restored by loop_free); a child started
 * with fork+exec inherits the blocked mask, so reset it in the child. */
int loop_on_signal(gw_loop *loop, int signo, loop_signal_cb cb, void *arg);

/* Run one iteration: wait at most max_wait_ns (-1 = until the next timer or fd),
 * dispatch ready fds (in registration order) and then due timers (deadline <= now,
 * in (deadline, creation) order; timers created during this iteration wait for the
 * next one). Callbacks may add or remove fds and timers freely.
 * Virtual clock: waiting cannot move virtual time, so timers never shorten the
 * wait; it waits on fds for max_wait_ns (-1 = until an fd is ready), or not at
 * all when a timer is already due. Whoever advances the clock calls again.
 * Returns the number of callbacks run, <0 on error (-1 with errno EDEADLK when
 * it would wait forever: no fds and no timer that waiting could reach). */
int loop_run_once(gw_loop *loop, int64_t max_wait_ns);
/* Like loop_run_once, but only ready fds are dispatched: due timers stay
 * pending, and they never shorten the wait. The bench's time master uses it to
 * take in everything the gateway wrote at an instant before its own timers at
 * that instant run (docs/virtual-time.md). */
int loop_run_fds_once(gw_loop *loop, int64_t max_wait_ns);
/* Run until loop_stop(); returns the status given to loop_stop. */
int loop_run(gw_loop *loop);
void loop_stop(gw_loop *loop, int status);
int loop_stopped(const gw_loop *loop);
#endif
