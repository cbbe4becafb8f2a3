/* target_mode: one scenario against a gateway on a device (see target_mode.h): the one
 * runner with the gateway on the device (gateway_remote.c) and the plant on the map's
 * ttys (plant_device.c). */
#include "sim/target/target_mode.h"
#include <stdio.h>
#include "sim/scenario/run.h"
#include "sim/target/gateway_remote.h"
#include "sim/target/plant_device.h"
#include "sim/target/target_remote.h"

/* The rule "virtual time only": a scenario that sets the gateway's wall clock, or a
 * replay longer than a device run may last. */
const char *target_skip_reason(const scenario *sc, const target_map *map, char *buf, size_t cap) {
    const cfg_node *start = cfg_get(sc->root, "start");
    if (start) {
        snprintf(buf, cap, "sets the gateway's wall clock (start: %s at %s:%d): virtual time only",
                 start->scalar ? start->scalar : "?", start->file, start->line);
        return buf;
    }
    if (sc->duration_ns > map->max_duration_ns) {
        snprintf(buf, cap, "lasts %.0f s, a replay for virtual time (target max_duration %.0f s)",
                 sc->duration_ns / 1e9, map->max_duration_ns / 1e9);
        return buf;
    }
    return NULL;
}

int target_run(const char *path, const run_options *opt, const target_map *map) {
    int rc = runner_run_with(path, opt, &gateway_remote, &plant_device, map);
    return rc == RUNNER_SKIP ? TARGET_SKIP : rc == 0 ? TARGET_PASS : TARGET_FAIL;
}

int target_run_all(const char *map_path, char **files, int n, const run_options *opt) {
    cfg_err err;
    target_map *map = target_map_load(map_path, &err);
    if (!map) {
        fprintf(opt->out, "ERROR %s\nhil: %d scenario(s), 0 passed, %d failed, 0 skipped\n", err.msg, n, n);
        return 1;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < n; i++) {
        int rc = target_run(files[i], opt, map);
        if (rc == TARGET_PASS) passed++;
        else if (rc == TARGET_SKIP) skipped++;
        else failed++;
    }
    target_ssh_close(map);
    target_map_free(map);
    fprintf(opt->out, "hil: %d scenario(s), %d passed, %d failed, %d skipped\n", n, passed, failed, skipped);
    return failed ? 1 : 0;
}
