/* run: the state of one scenario run, shared by the runner (runner.c) and its two
 * strategies: where the gateway runs (gateway_host.h) and what the plant is wired to
 * (plant_wiring.h). The strategies keep their own state behind host_state. */
#ifndef SIM_RUN_H
#define SIM_RUN_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/loop.h"
#include "sim/core/gwconfig.h"
#include "sim/core/trace.h"
#include "sim/dlms/dlms_bench.h"
#include "sim/iec104/iec104_master.h"
#include "sim/import/replay.h"
#include "sim/mbus/bench_segment.h"
#include "sim/modbus/modbus_bench.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/wmbus/radio_bench.h"

struct gateway_host;
struct plant_wiring;

typedef struct run {
    const run_options *opt;
    const struct gateway_host *host;
    const struct plant_wiring *wiring;
    const void *where;         /* the strategies' setting: the target map, or NULL */
    void *host_state;          /* the gateway host's own state */
    scenario *sc;
    char name[128];            /* the scenario file name without .yaml */
    char workdir[PATH_MAX];    /* the run directory on this PC */
    gw_loop *loop;
    trace tr;
    bench_segment **segs;      /* one per scenario segment (NULL where not wired) */
    subst_var *vars;           /* ${...} of the gateway configuration; vars[0] is ${workdir} */
    size_t n_vars;
    iec104_bench *iec104;      /* scripted IEC 104 masters */
    radio_bench *radio;        /* wireless M-Bus: air, radio meters, radio modules */
    modbus_bench *modbus;      /* Modbus meters and masters */
    replay_bench *replay;      /* captured traffic replayed (replay.h) */
    dlms_bench *dlms;          /* HPLC networks of DLMS meters */
    struct mbus_tcp_bench *mbus_tcp; /* M-Bus masters over TCP (mbus_tcp_master.h) */
    int iec104_port;           /* ${port:iec104} */
    char iec104_port_text[8];
    unsigned passed, failed;
    int interrupted;           /* the signal that ended the run early (SIGINT, SIGTERM), or 0 */
    int64_t interrupted_ns;    /* when, in scenario time */
    int64_t wall0_ns;          /* wall time at the scenario's start (the pcapng's time base) */
    char first_failure[512];   /* the first FAIL verdict's message (run_result) */
} run;

/* One verdict line, "PASS  <msg>" or "FAIL  <msg>", counted. */
void run_verdict(run *r, bool ok, const char *msg);
/* ${name} = value in the gateway configuration (r->vars has room: the wiring allocates it). */
void run_add_var(run *r, const char *name, const char *value);
/* The run's trace file, <workdir>/trace.jsonl; -1 with err when it cannot be written. */
int run_open_trace(run *r, char *err, size_t errlen);

/* Run path in the gateway host's way and with the plant wired in the wiring's way;
 * where is their setting (the target map, or NULL). 0 when every verdict passed,
 * RUNNER_SKIP, RUNNER_INTERRUPTED, else 1. */
int runner_run_with(const char *path, const run_options *opt, const struct gateway_host *host,
                    const struct plant_wiring *wiring, const void *where);
#endif
