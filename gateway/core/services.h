/* services: what the composition root (gateway/main.c) hands to every module
 * it starts (core/module.h). The clock and the log are process-wide
 * (core/clock.h, core/log.h: virtual time swaps the clock underneath every
 * reader), so they are not fields; everything else a module may use is. */
#ifndef GW_SERVICES_H
#define GW_SERVICES_H
#include "core/datahub.h"
#include "core/loop.h"
#include "core/reconfig.h"
#include "core/state.h"

typedef struct gw_store gw_store;

typedef struct gw_services {
    gw_loop *loop;        /* timers, descriptors, signals */
    datahub *hub;         /* where south publishes and north subscribes */
    const gw_state *state; /* what survives a restart; NULL: no store configured */
    gw_store *store;      /* the store itself, NULL without one: only north may use it
                           * (store/store.h: the reports' delivery queue) */
    const gw_reconfig *reconfig; /* the running configuration, staged changes applied
                                  * (core/reconfig.h); NULL outside gwd (tests) */
} gw_services;
#endif
