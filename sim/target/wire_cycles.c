/* wire_cycles: readout cycles seen on the wire, and the silence that ends one
 * (target_mode.h). */
#include "sim/target/target_mode.h"
#include "core/clock.h"
#include "sim/core/wire.h"

/* Added to the longest silence inside a cycle (response timeout + request gap): the
 * device's and the PC's scheduling and UART FIFOs delay what the bench sees. */
#define CYCLE_QUIET_MARGIN_NS (250 * NS_PER_MS)

int64_t target_shortest_interval_ns(const scenario *sc) {
    const cfg_node *mbus = cfg_get(sc->gateway, "mbus");
    int64_t shortest = 0;
    for (size_t i = 0; mbus && mbus->kind == CFG_SEQ && i < mbus->n; i++) {
        const cfg_node *iv = cfg_get(mbus->items[i], "interval");
        int64_t ns = 0;
        if (iv && iv->scalar && cfg_parse_duration_ns(iv->scalar, &ns) && ns > 0 && (!shortest || ns < shortest))
            shortest = ns;
    }
    return shortest;
}

bool wire_cycles_step(wire_cycles *w, unsigned frames, int64_t busy_until_ns, int64_t now) {
    if (busy_until_ns > w->last_activity_ns) w->last_activity_ns = busy_until_ns;
    if (frames != w->frames_seen) {
        w->frames_seen = frames;
        w->in_cycle = true;
        if (now > w->last_activity_ns) w->last_activity_ns = now;
    }
    if (!w->in_cycle || now - w->last_activity_ns < w->quiet_ns) return false;
    w->in_cycle = false;
    w->cycles++;
    return true;
}

/* The silence that ends a cycle on the wire (maps without ssh: nothing on the device
 * tells). It must be longer than any silence inside a cycle, and shorter than the gap
 * between cycles (the interval less the cycle's length). Inside a cycle the line is
 * quiet at most a response timeout plus a request gap at the slowest segment's baud;
 * a device (or an emulated board on a loaded host) that stalls adds to that. So the
 * quiet is a third of the shortest readout interval (a cycle up to two thirds of the
 * interval still ends right), capped by the map's cycle_quiet (default 2 s: the
 * run's cost), and never below the in-cycle bound plus the margin and tolerance. */
int64_t target_cycle_quiet_ns(const scenario *sc, const target_map *map) {
    unsigned slowest = 0;
    for (size_t i = 0; i < sc->n_segments; i++)
        if (!slowest || sc->segments[i].baud < slowest) slowest = sc->segments[i].baud;
    int64_t inside = slowest ? wire_bits_ns(slowest, 330 + 33) + 50 * NS_PER_MS : 0;
    int64_t floor = inside + CYCLE_QUIET_MARGIN_NS + map->timing_tolerance_ns;
    int64_t quiet = target_shortest_interval_ns(sc) / 3;
    if (quiet > map->cycle_quiet_ns) quiet = map->cycle_quiet_ns;
    return quiet > floor ? quiet : floor;
}
