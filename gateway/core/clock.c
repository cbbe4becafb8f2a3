/* clock: real time from clock_gettime, or virtual time moved only by the bench.
 *
 * Virtual mode exists so that a scenario replays deterministically: nothing in
 * the gateway can observe time passing unless clock_virtual_advance() is called
 * (later by the bench, as time master, over its control socket). */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

static bool virtual_mode;
static int64_t virtual_mono_ns;
static int64_t virtual_wall_start_ns;

static int64_t read_clock(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t clock_mono_ns(void) {
    return virtual_mode ? virtual_mono_ns : read_clock(CLOCK_MONOTONIC);
}

int64_t clock_wall_ns(void) {
    return virtual_mode ? virtual_wall_start_ns + virtual_mono_ns : read_clock(CLOCK_REALTIME);
}

int64_t clock_host_mono_ns(void) {
    return read_clock(CLOCK_MONOTONIC);
}

void clock_use_virtual(int64_t wall_start_ns) {
    virtual_mode = true;
    virtual_mono_ns = 0;
    virtual_wall_start_ns = wall_start_ns;
}

void clock_use_real(void) {
    virtual_mode = false;
}

bool clock_is_virtual(void) {
    return virtual_mode;
}

void clock_virtual_advance(int64_t mono_ns) {
    /* Time never runs backwards: a stale or duplicated advance is ignored. */
    if (virtual_mode && mono_ns > virtual_mono_ns)
        virtual_mono_ns = mono_ns;
}

void clock_format_iso(int64_t wall_ns, char *out, unsigned cap) {
    if (!out || cap == 0)
        return;
    /* Floor division so that times before 1970 still format correctly. */
    int64_t ms = wall_ns / NS_PER_MS;
    if (wall_ns % NS_PER_MS < 0)
        ms--;
    int64_t secs = ms / 1000;
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, cap, "invalid-time");
        return;
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}
