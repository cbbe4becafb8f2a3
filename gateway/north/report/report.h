/* report: report instances (up to 10): MUC500 CSV / JSON / XML or event
 * reports, on each readout cycle or a cron schedule, queued (in the store) and
 * delivered to a directory, an MQTT broker or an HTTP(S) server.
 * The legacy form writes CSV and JSON files per readout cycle:
 *
 * The module subscribes to the datahub; on DH_CYCLE_END it takes the hub's
 * current state (meters and their points) and writes
 *   <dir>/<gateway>_<YYYYmmddTHHMMSSZ>_<source, ':' -> '-'>.csv / .json
 * atomically (written to a .tmp file, then renamed). See docs/reports.md. */
#ifndef GW_REPORT_H
#define GW_REPORT_H
#include "core/config.h"
#include "core/datahub.h"

typedef struct report report;

/* Read the `reports:` map (may be NULL = reports disabled).
 * Returns NULL and sets err on a configuration error; returns NULL with
 * err->msg[0] == '\0' when reports are disabled. Creates dir if missing. */
report *report_configure(const cfg_node *section, const char *gateway_name, cfg_err *err);
/* Subscribe to hub: from now on every DH_CYCLE_END writes the report files.
 * The hub must outlive r, or r must not be used after the hub is freed. */
void report_attach(report *r, datahub *hub);
/* The full start: loop for schedules, retries and network transports (NULL:
 * only file transports, written synchronously); store for the persistent
 * delivery queue (NULL: in memory). report_attach = report_start(r, hub, NULL, NULL). */
typedef struct gw_loop gw_loop;
typedef struct gw_store gw_store;
void report_start(report *r, datahub *hub, gw_loop *loop, gw_store *store);
/* Undo report_start while the hub and the store are alive (a module restart
 * by a staged configuration, tools/reconfig.c): unsubscribed, the store's
 * commit hook released, timers cancelled. The queue stays in the store; a new
 * report object (or this one, started again) takes it over. NULL is fine. */
void report_stop(report *r);
void report_free(report *r); /* NULL is fine */

/* The running reports as other north modules see them (the web API,
 * report_status.c): the one report module of the process registers itself at
 * its start. */
typedef struct report_info {
    const char *name, *format, *transport;
    bool per_cycle;
    size_t queued;
    int64_t last_delivery_ns, last_failure_ns; /* wall time, 0 never */
    const char *last_error;
} report_info;
report *report_running(void); /* NULL: no reports run */
size_t report_list(report *r, report_info *out, size_t cap);
/* Render and queue one report of the instance now; false: no such instance. */
bool report_trigger(report *r, const char *name);
void report_status_register(report *r);
void report_status_unregister(report *r);
#endif
