/* mbus_master: all wired M-Bus segments of a configuration, and the signal
 * (SIGUSR1) that asks each of them for a meter scan. One segment is segment.c. */
#include "south/mbus/mbus_master.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "south/mbus/segment.h"

struct mbus_master {
    size_t n;
    mbus_segment **segments;
    datahub *hub;
    int subscription; /* DH_COMMAND "<segment>/scan" */
};

/* SIGUSR1: scan every segment that has a scan configured, now or after its cycle. */
static mbus_master *signalled_master;

static void on_scan_signal(gw_loop *loop, int signo, void *arg) {
    mbus_master *master = signalled_master;
    if (!master)
        return;
    for (size_t i = 0; i < master->n; i++)
        mbus_segment_scan_requested(master->segments[i], signo);
}

/* "<segment>/scan" with "secondary" or "primary" (the web API's scans: north
 * reaches the driver only through the datahub). */
static void on_update(const dh_update *u, void *arg) {
    mbus_master *master = arg;
    if (u->kind != DH_COMMAND || u->command->value.type != DP_STRING || !u->command->value.s)
        return;
    const char *point = u->command->point, *slash = strrchr(point, '/');
    if (!slash || strcmp(slash, "/scan") != 0)
        return;
    const char *kind = u->command->value.s;
    mbus_scan_mode mode = strcmp(kind, "primary") == 0     ? MBUS_SCAN_PRIMARY
                          : strcmp(kind, "secondary") == 0 ? MBUS_SCAN_SECONDARY
                                                           : MBUS_SCAN_OFF;
    for (size_t i = 0; mode != MBUS_SCAN_OFF && i < master->n; i++) {
        const char *name = mbus_segment_name(master->segments[i]);
        if (strlen(name) == (size_t)(slash - point) && strncmp(name, point, strlen(name)) == 0)
            mbus_segment_scan_command(master->segments[i], mode);
    }
}

mbus_master *mbus_master_start(const mbus_config *cfg, gw_loop *loop, datahub *hub, char *err,
                               size_t errlen) {
    mbus_master *master = calloc(1, sizeof *master);
    if (master)
        master->segments = calloc(cfg->n_segments ? cfg->n_segments : 1, sizeof(mbus_segment *));
    if (!master || !master->segments) {
        free(master);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_segments; i++) {
        mbus_segment *seg = mbus_segment_start(&cfg->segments[i], loop, hub, err, errlen);
        if (!seg) {
            mbus_master_stop(master);
            return NULL;
        }
        master->segments[master->n++] = seg;
    }
    signalled_master = master;
    loop_on_signal(loop, SIGUSR1, on_scan_signal, NULL);
    master->hub = hub;
    master->subscription = datahub_subscribe(hub, on_update, master);
    return master;
}

void mbus_master_stop(mbus_master *master) {
    if (!master)
        return;
    if (signalled_master == master)
        signalled_master = NULL;
    if (master->hub && master->subscription >= 0)
        datahub_unsubscribe(master->hub, master->subscription);
    for (size_t i = 0; i < master->n; i++)
        mbus_segment_stop(master->segments[i]);
    free(master->segments);
    free(master);
}
