/* scenario_path: the file a path written in a scenario names. Scenario
 * libraries live in their own repositories, so a path may be absolute, start
 * with ${fixtures} (anywhere ${fixtures} appears it is substituted), or be
 * relative: to the scenario file's folder first, then to the repository root
 * (the nearest ancestor of the scenario holding fixtures/). */
#ifndef SIM_SCENARIO_PATH_H
#define SIM_SCENARIO_PATH_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"

typedef struct scenario_paths {
    const char *scenario_dir; /* the scenario file's folder */
    const char *base_dir;     /* the repository root (else the scenario's folder) */
    const char *fixtures_dir; /* ${fixtures}: hil run --fixtures, $HIL_FIXTURES, or base_dir/fixtures */
} scenario_paths;

/* Resolve node's text (what: "telegram file", "register map", ... for the
 * message) to an existing file in out. False with err at node when it names
 * no file, saying where it looked and what ${fixtures} is. */
bool scenario_path(const scenario_paths *p, const cfg_node *node, const char *what, char *out,
                   size_t cap, cfg_err *err);
#endif
