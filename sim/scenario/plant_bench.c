/* plant_bench: the plant on this PC's ptys and sockets (plant_wiring.h): M-Bus
 * segments on ptys, DLMS nodes, Modbus meters and masters, radio modules, IEC 104
 * masters and replayed captures. */
#include <stdio.h>
#include <stdlib.h>
#include "sim/mbus/mbus_tcp_master.h"
#include "sim/scenario/gateway_host.h"
#include "sim/scenario/plant_wiring.h"

int plant_segment_setup(bench_segment *seg, const segment_spec *spec, bool full) {
    if (full) {
        seg->echo = spec->echo;
        seg->short_from_ns = spec->short_from_ns;
        seg->short_to_ns = spec->short_to_ns;
        for (size_t k = 0; k < spec->n_noise; k++)
            seg->noise[k] = (seg_noise){.at_ns = spec->noise_at_ns[k], .bytes = spec->noise_bytes[k]};
        seg->n_noise = spec->n_noise;
    }
    for (size_t k = 0; k < spec->n_slaves; k++) {
        mbus_slave *s = bench_segment_add_slave(seg);
        if (!s || scenario_slave_setup(&spec->slaves[k], s) < 0) return -1;
    }
    return 0;
}

static int build_segments(run *r, char *err, size_t errlen) {
    for (size_t i = 0; i < r->sc->n_segments; i++) {
        const segment_spec *spec = &r->sc->segments[i];
        r->segs[i] = bench_segment_new(spec->name, spec->baud, r->loop, &r->tr, err, errlen);
        if (!r->segs[i]) return -1;
        if (plant_segment_setup(r->segs[i], spec, true) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        run_add_var(r, spec->name, bench_segment_path(r->segs[i]));
    }
    return 0;
}

static int build(run *r, char *err, size_t errlen) {
    scenario *sc = r->sc;
    r->segs = calloc(sc->n_segments ? sc->n_segments : 1, sizeof *r->segs);
    r->vars = calloc(sc->n_segments + 3 + 2 * sc->n_dlms + modbus_bench_n_vars(sc->modbus) +
                     radio_plan_modules(sc->wmbus) + mbus_tcp_bench_n_vars(sc->mbus_tcp),
                     sizeof *r->vars);
    if (!r->segs || !r->vars) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    run_add_var(r, "workdir", r->host->gateway_workdir(r));
    run_add_var(r, "fixtures", sc->fixtures_dir);
    if (build_segments(r, err, errlen) < 0) return -1;
    r->iec104_port = iec104_bench_free_port();
    snprintf(r->iec104_port_text, sizeof r->iec104_port_text, "%d", r->iec104_port);
    run_add_var(r, "port:iec104", r->iec104_port_text);
    if (sc->n_dlms) {
        r->dlms = dlms_bench_new(sc->dlms, sc->n_dlms, r->loop, &r->tr, err, errlen);
        if (!r->dlms) return -1;
        r->n_vars += dlms_bench_vars(r->dlms, r->vars + r->n_vars);
    }
    if (sc->modbus) {
        r->modbus = modbus_bench_new(sc->modbus, r->loop, &r->tr, err, errlen);
        if (!r->modbus) return -1;
        r->n_vars += modbus_bench_vars(r->modbus, r->vars + r->n_vars, modbus_bench_n_vars(sc->modbus));
    }
    if (sc->mbus_tcp) {
        r->mbus_tcp = mbus_tcp_bench_new(sc->mbus_tcp, r->loop, &r->tr, err, errlen);
        if (!r->mbus_tcp) return -1;
        r->n_vars += mbus_tcp_bench_vars(r->mbus_tcp, r->vars + r->n_vars, mbus_tcp_bench_n_vars(sc->mbus_tcp));
    }
    if (sc->wmbus) {
        r->radio = radio_bench_new(sc->wmbus, r->loop, &r->tr, err, errlen);
        if (!r->radio) return -1;
        for (size_t i = 0; i < radio_plan_modules(sc->wmbus); i++)
            run_add_var(r, radio_bench_var_name(r->radio, i), radio_bench_var_value(r->radio, i));
    }
    return 0;
}

static int start(run *r, char *err, size_t errlen) {
    for (size_t i = 0; i < r->sc->n_segments; i++)
        if (bench_segment_start(r->segs[i]) < 0) {
            snprintf(err, errlen, "cannot watch the pty of %s", r->segs[i]->name);
            return -1;
        }
    if (r->radio && radio_bench_start(r->radio, err, errlen) < 0) return -1;
    if (r->dlms && dlms_bench_start(r->dlms) < 0) {
        snprintf(err, errlen, "cannot watch the DLMS nodes' sockets");
        return -1;
    }
    return 0;
}

static int connect_peers(run *r, char *err, size_t errlen) {
    if (r->sc->iec104 &&
        !(r->iec104 = iec104_bench_start(r->sc->iec104, r->loop, &r->tr, r->iec104_port, err, errlen)))
        return -1;
    if (r->modbus && modbus_bench_start(r->modbus, err, errlen) < 0) return -1;
    if (r->mbus_tcp && mbus_tcp_bench_start(r->mbus_tcp) < 0) return -1;
    if (r->sc->replay && !(r->replay = replay_bench_start(r->sc->replay, r->loop, &r->tr, r->radio, err, errlen)))
        return -1;
    return 0;
}

/* The baud the gateway set on a segment it spoke on (one that stayed silent has none). */
static void segment_verdict(run *r, const bench_segment *s) {
    char msg[512];
    if (s->frames == 0) return;
    bool ok = s->baud_mismatches == 0;
    if (ok) snprintf(msg, sizeof msg, "baud %s = %u on every frame", s->name, s->baud);
    else snprintf(msg, sizeof msg, "baud %s: expected %u, observed %u on %u of %u frames", s->name, s->baud,
                  s->baud_last, s->baud_mismatches, s->frames);
    run_verdict(r, ok, msg);
}

const plant_wiring plant_bench = {
    .name = "bench",
    .unwired = NULL,
    .build = build,
    .start = start,
    .connect = connect_peers,
    .segment_verdict = segment_verdict,
};
