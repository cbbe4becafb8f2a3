/* plant_device: the scenario's M-Bus segments on the tty devices of the target map
 * (plant_wiring.h). The map wires serial lines only: a scenario whose plant has other
 * parts is skipped by the rule "bench-only plant", which names them. */
#include "sim/target/plant_device.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "sim/scenario/gateway_host.h"
#include "sim/target/target_map.h"

/* Plant parts that only the bench wires (its sockets and emulated radio modules). */
static const char *bench_only_part(const scenario *sc) {
    if (sc->wmbus) return "wireless M-Bus radio modules";
    if (sc->n_dlms) return "DLMS networks";
    if (sc->modbus) return "Modbus meters or masters";
    if (sc->iec104) return "IEC 104 masters";
    if (sc->replay) return "a replay of captured traffic";
    return NULL;
}

static const char *unwired(const run *r, char *buf, size_t cap) {
    const char *part = bench_only_part(r->sc);
    if (!part) return NULL;
    snprintf(buf, cap, "bench-only plant: has %s, the target map wires serial segments only", part);
    return buf;
}

/* The segment emulator talks to the mapped device instead of its own pty: the device's
 * fd takes the pty master's descriptor number (dup2), so the segment's channel, pacer
 * and baud read-back (tcgetattr on that fd) all use the device unchanged. */
static void graft_device(bench_segment *seg, int fd, const char *device) {
    dup2(fd, seg->pty.master);
    fcntl(seg->pty.master, F_SETFD, FD_CLOEXEC);
    close(fd);
    if (seg->pty.slave >= 0) close(seg->pty.slave);
    seg->pty.slave = -1;
    snprintf(seg->pty.path, sizeof seg->pty.path, "%s", device);
}

/* Segment i on its mapped device: 0, -1 after a FAIL line (the next is tried), -2 when
 * nothing more can be built. */
static int wire_segment(run *r, size_t i) {
    const target_map *map = r->where;
    const segment_spec *spec = &r->sc->segments[i];
    char err[1024];
    const target_serial *ts = target_map_serial(map, spec->name);
    if (!ts) {
        snprintf(err, sizeof err, "serial %s: the scenario's segment is not in the map file %s", spec->name,
                 map->path);
        run_verdict(r, false, err);
        return -1;
    }
    int fd = target_serial_open(ts, spec->baud, err, sizeof err);
    if (fd < 0) {
        run_verdict(r, false, err);
        return -1;
    }
    r->segs[i] = bench_segment_new(spec->name, spec->baud, r->loop, &r->tr, err, sizeof err);
    if (!r->segs[i]) {
        close(fd);
        run_verdict(r, false, err);
        return -2;
    }
    graft_device(r->segs[i], fd, ts->device);
    /* The line itself is the device's: only the slaves are the plant's. */
    if (plant_segment_setup(r->segs[i], spec, false) < 0) return -2;
    run_add_var(r, spec->name, ts->target);
    fprintf(r->opt->out, "      serial %s: %s at %u baud (gateway side %s)\n", spec->name, ts->device, spec->baud,
            ts->target);
    return 0;
}

/* Every segment mapped and its device usable at the scenario's baud, or a loud FAIL. */
static int build(run *r, char *err, size_t errlen) {
    scenario *sc = r->sc;
    r->segs = calloc(sc->n_segments ? sc->n_segments : 1, sizeof *r->segs);
    r->vars = calloc(sc->n_segments + 2, sizeof *r->vars);
    if (!r->segs || !r->vars) return -1;
    run_add_var(r, "workdir", r->host->gateway_workdir(r));
    run_add_var(r, "fixtures", sc->fixtures_dir);
    int bad = 0;
    for (size_t i = 0; i < sc->n_segments; i++) {
        int rc = wire_segment(r, i);
        if (rc == -2) return -1;
        if (rc < 0) bad = -1;
    }
    return bad;
}

/* Bytes the device wrote before this run (a gateway of an earlier run, started again
 * when that run ended, polls with its configuration until the push stops it) wait in
 * the tty: they are read and dropped, so the plant times only this run's bytes. */
static void discard_stale(run *r) {
    for (size_t i = 0; i < r->sc->n_segments; i++) {
        bench_segment *s = r->segs[i];
        uint8_t buf[512];
        size_t dropped = 0;
        ssize_t n;
        while ((n = read(s->pty.master, buf, sizeof buf)) > 0) dropped += (size_t)n;
        tcflush(s->pty.master, TCIOFLUSH);
        if (dropped)
            fprintf(r->opt->out, "      serial %s: %zu byte(s) from before the run discarded\n", s->name,
                    dropped);
    }
}

static int start(run *r, char *err, size_t errlen) {
    discard_stale(r);
    for (size_t i = 0; i < r->sc->n_segments; i++)
        if (bench_segment_start(r->segs[i]) < 0) return -1;
    return 0;
}

/* Nothing of this plant reaches the gateway: its peers are the bench's (unwired). */
static int connect_peers(run *r, char *err, size_t errlen) {
    return 0;
}

/* A segment with slaves must have heard the gateway on the mapped device. */
static void segment_verdict(run *r, const bench_segment *s) {
    char msg[PATH_MAX + 256];
    snprintf(msg, sizeof msg, "serial %s: %u frames from the gateway on %s", s->name, s->frames, s->pty.path);
    run_verdict(r, s->frames > 0 || s->n_slaves == 0, msg);
}

const plant_wiring plant_device = {
    .name = "device",
    .unwired = unwired,
    .build = build,
    .start = start,
    .connect = connect_peers,
    .segment_verdict = segment_verdict,
};
