/* scenario: a bench scenario file (YAML, see docs/scenarios.md): the plant
 * (M-Bus segments and their slaves), the gateway's configuration, and the
 * expectations. Loaded with the core's configuration loader, so every error
 * reads "file:line:col: what is wrong". */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H
#include <stdbool.h>
#include <stdint.h>
#include "core/config.h"
#include "sim/expect/expect.h"
#include "sim/core/hexfile.h"
#include "sim/iec104/iec104_script.h"
#include "sim/dlms/hplc_net.h"
#include "sim/mbus/mbus_slave.h"
#include "sim/modbus/modbus_plan.h"
#include "sim/scenario/scenario_path.h"

typedef struct slave_spec {
    const cfg_node *node;      /* for messages */
    int primary;               /* -1: none */
    bool secondary_auto;       /* from the first page's header */
    mbus_secondary secondary;  /* when given */
    telegram_list pages;       /* edited (id, address, more follows) */
    int64_t response_delay_ns;
    unsigned baud;             /* its own baud rate (0: the segment's) */
    mbus_slave_faults faults;
    bool rotate;               /* each readout answers the next page (values change) */
} slave_spec;

typedef struct segment_spec {
    const char *name;
    unsigned baud;
    bool echo;                 /* the level converter echoes every master byte */
    int64_t short_from_ns, short_to_ns; /* short circuit: nobody answers (to > from) */
    int64_t noise_at_ns[8];    /* line noise bursts: when, */
    unsigned noise_bytes[8];   /* and how many random bytes */
    size_t n_noise;
    slave_spec *slaves;
    size_t n_slaves;
} segment_spec;

typedef struct scenario {
    char *path;                /* the scenario file */
    char *scenario_dir;        /* the scenario file's folder: relative paths start here, */
    char *base_dir;            /* then here (the repo root: nearest ancestor holding fixtures/) */
    char *fixtures_dir;        /* ${fixtures} */
    scenario_paths paths;      /* the three above, for the plant's parsers */
    const char *name;
    int64_t duration_ns;
    bool virtual_time;         /* clock: virtual (default) or real */
    int64_t start_wall_ns;     /* start: wall time at the scenario's start (virtual time) */
    int64_t watchdog_ns;       /* watchdog: real time one co-simulation step may take */
    long long stop_after_cycles; /* 0: run for the whole duration */
    segment_spec *segments;
    size_t n_segments;
    const cfg_node *gateway;   /* the gateway configuration tree (unsubstituted) */
    expectation *expects;
    size_t n_expects;
    char **resolved;           /* equals_file paths as resolved (scenario_path.h), owned */
    cfg_node *root;            /* the scenario document */
    cfg_node *gateway_root;    /* gateway_file: document, or NULL */
    iec104_plan *iec104;       /* plant: iec104: scripted masters, or NULL */
    hplc_net_spec *dlms;       /* plant: dlms: HPLC networks of DLMS meters */
    size_t n_dlms;
    modbus_plan *modbus;       /* plant: modbus: meters and masters, or NULL */
    struct replay_spec *replay; /* plant: replay: captured traffic (replay.h), or NULL */
    struct radio_plan *wmbus;  /* plant: wmbus: air, radio meters, radio modules (radio_bench.h), or NULL */
    struct mbus_tcp_plan *mbus_tcp; /* plant: mbus_tcp: M-Bus masters over TCP (mbus_tcp_master.h), or NULL */
} scenario;

/* Load and check a scenario. NULL and err ("file:line:col: ...") on error.
 * ${fixtures} is fixtures_dir when given, else $HIL_FIXTURES, else the
 * repository's fixtures/ (scenario_load: fixtures_dir NULL). */
scenario *scenario_load(const char *path, cfg_err *err);
scenario *scenario_load_fixtures(const char *path, const char *fixtures_dir, cfg_err *err);
void scenario_free(scenario *sc);
/* Configure an emulated slave from its spec (copies the pages). */
int scenario_slave_setup(const slave_spec *spec, mbus_slave *slave);
#endif
