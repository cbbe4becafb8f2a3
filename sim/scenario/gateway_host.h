/* gateway_host: where the gateway of a run runs, one table per place:
 *   gateway_local   a child process of hil, in virtual or real time (gateway_local.c)
 *   gateway_remote  a service on a device reached over SSH as a target map says
 *                   (sim/target/gateway_remote.c)
 * The runner (runner.c) calls the rows in this order: announce, skip, prepare, start,
 * run, fetch, adjust (per expectation), summary, tail, teardown; setup_failed when a
 * step before the verdicts failed. A step that fails returns -1 and has either written
 * err or printed its own verdicts. */
#ifndef SIM_GATEWAY_HOST_H
#define SIM_GATEWAY_HOST_H
#include <stddef.h>
#include "sim/scenario/run.h"

typedef struct gateway_host {
    const char *name;
    /* The "== <name> (<path>)..." line. */
    void (*announce)(run *r, const char *path);
    /* Why this scenario cannot run on this host (a named rule), or NULL. */
    const char *(*skip)(const run *r, char *buf, size_t cap);
    /* Before the loop exists: the host's state, the clock, its paths. */
    int (*prepare)(run *r, char *err, size_t errlen);
    /* ${workdir} as the gateway sees it. */
    const char *(*gateway_workdir)(const run *r);
    /* Configuration out, plant started (wiring->start, ->connect), gateway started,
     * the end of the run scheduled. */
    int (*start)(run *r, char *err, size_t errlen);
    /* Serve the plant until the gateway has stopped. */
    int (*run)(run *r, char *err, size_t errlen);
    /* Verdicts on how the gateway ran; its outputs made readable here, *outputs is
     * ${workdir} for reading them. */
    int (*fetch)(run *r, const char **outputs);
    /* An expectation as it is checked on this host (a copy, may be relaxed); note
     * receives what is appended to its verdict line ("" for nothing). */
    void (*adjust)(const run *r, expectation *ex, char *note, size_t cap);
    /* After the verdicts of a run that ran (a line of its own, or nothing). */
    void (*summary)(run *r);
    /* Appended to "(run directory <dir>" in the closing line. */
    void (*tail)(const run *r, char *buf, size_t cap);
    /* How a failed setup is reported (err may be empty). */
    void (*setup_failed)(run *r, const char *err);
    /* The gateway gone, the host's state freed (before the plant is freed). */
    void (*teardown)(run *r);
} gateway_host;

extern const gateway_host gateway_local;
#endif
