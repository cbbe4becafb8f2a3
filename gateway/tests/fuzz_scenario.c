/* libFuzzer target for the bench's scenario loader (sim/scenario/scenario.c): the input
 * is a scenario file, written to build/fuzz/work/scenario/fuzz.yaml (the loader
 * takes a path: relative telegram and gateway_file paths resolve from there
 * and the repository's fixtures/) and loaded. Any text must load or be
 * refused with "file:line:col: what is wrong", without a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/log.h"
#include "sim/scenario/scenario.h"

static const char *const path = "build/fuzz/work/scenario/fuzz.yaml";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        log_set_level(LOG_LVL_ERROR);
        mkdir("build/fuzz", 0755);
        mkdir("build/fuzz/work", 0755);
        mkdir("build/fuzz/work/scenario", 0755);
        ready = true;
    }
    if (memchr(data, '\0', size))
        return 0; /* files are read as C strings */
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    cfg_err err = {{0}};
    scenario *sc = scenario_load(path, &err);
    if (sc) {
        scenario_free(sc);
    } else if (!strstr(err.msg, ":")) {
        fprintf(stderr, "error without a position: %s\n", err.msg);
        abort();
    }
    return 0;
}
