/* timemaster: the bench as the time master of a gateway in virtual time.
 *
 * The bench's clock is virtual too (clock_use_virtual) and its emulators only
 * use the bench loop's fds and timers. The gateway (gwd --clock virtual:SOCKET)
 * connects to the socket this module listens on. One cycle:
 *   1. sync: dispatch the bench's fds only (no timers) until the gateway has
 *      reported idle for the latest advance and both sides' channel counters
 *      agree (bench tx == gateway rx and bench rx == gateway tx, per channel);
 *   2. run the bench's timers due now (and whatever they make ready); if
 *      anything ran, sync again;
 *   3. advance: next = min(bench's next timer, gateway's deadline); move the
 *      bench clock there and send `advance` to the gateway.
 * So at equal instants the gateway's timers run first, then the bench's, then
 * the gateway's reactions to the bench. Protocol and rules:
 * docs/virtual-time.md. A watchdog in real time fails a stuck co-simulation
 * with what each side last said. */
#ifndef SIM_TIMEMASTER_H
#define SIM_TIMEMASTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/loop.h"

/* Channels whose names start with this are between two endpoints inside the
 * bench (the radio air carried over UDP): both ends count under the same name
 * and they are in step when everything written has been read. */
#define TM_BENCH_PREFIX "bench:"

typedef struct tm_counter {
    char name[256];
    uint64_t tx, rx;
    bool closed;            /* a TCP channel the gateway has closed ("/closed") */
} tm_counter;

typedef struct timemaster {
    gw_loop *loop;          /* the bench loop */
    int listen_fd, fd;      /* listening socket, the gateway's connection */
    char path[108];
    int64_t wall_start_ns;  /* sent in the hello */
    int64_t watchdog_ns;    /* real time a sync may take */
    int64_t grace_ns;       /* real time the gateway may take to exit after stop */
    uint64_t seq;           /* last advance sent */
    /* the gateway's last idle report */
    bool idle_seen;
    uint64_t idle_seq;
    int64_t gw_deadline;    /* -1: none */
    tm_counter *gw;
    size_t n_gw, cap_gw;
    char last_idle[512];    /* as received (shortened), for messages */
    char in[16384];
    size_t in_len;
    bool stopping, failed;
    char why[2048];
    uint64_t advances;
    int64_t host_start_ns;  /* real time at the start, for the speed report */
    /* Called after every sync, before the bench's timers run: the gateway is idle
     * and has read everything, so its files (dump, reports, store) are stable.
     * Bench code that looks at them must look here, not from a timer. */
    void (*on_synced)(void *arg);
    void *synced_arg;
} timemaster;

/* Listen on socket_path (replaced if it exists) in loop. -1 and err on failure. */
int timemaster_listen(timemaster *tm, gw_loop *loop, const char *socket_path,
                      int64_t wall_start_ns, int64_t watchdog_ns, char *err, size_t errlen);
/* Drive the co-simulation until the bench loop is stopped (the gateway exited),
 * the gateway was stopped and has exited (or the grace ran out), or the
 * watchdog fired (tm->failed, tm->why). */
void timemaster_run(timemaster *tm);
/* Ask the gateway to shut down (`stop`); returns false when it never connected. */
bool timemaster_stop(timemaster *tm, int64_t grace_ns);
/* The gateway is connected and its last report matches the bench. */
bool timemaster_synced(const timemaster *tm);
/* "<name> bench tx/rx = a/b, gateway tx/rx = c/d; ..." for messages. */
void timemaster_describe_counters(const timemaster *tm, char *out, size_t cap);
/* Parse an idle line into tm (exposed for tests). false on a malformed line. */
bool timemaster_take_idle(timemaster *tm, const char *line);
void timemaster_close(timemaster *tm);
/* An emulator waits for something the channel counters cannot prove, e.g. the
 * gateway accepting a TCP connection the bench opened or closing its end of one
 * the bench half-closed: no sync completes (and no time passes) until every hold
 * is released. Global to the bench, like the iochan registry. */
void timemaster_hold(void);
void timemaster_release(void);
unsigned timemaster_holds(void);
#endif
