/* snmp_status: the CMe3100's status objects (its Table 8) kept from what the
 * datahub says: each meter's readout status, each report instance's delivery
 * status, their aggregates and the last cycle. Pure bookkeeping (no I/O, no
 * net-snmp): the agent (snmp_agent.c) serves it and traps on its changes.
 *
 *   meter:   1 its last readout succeeded, 2 never read, 3 its last readout failed
 *   report:  1 delivered (nothing waits in its queue), 3 its last delivery failed
 *            and a report still waits
 *   readout / reports aggregate: 1 all are 1 (or there are none), 3 none is 1,
 *            2 otherwise; the gateway's: 3 if either is 3, 1 if both are 1, else 2 */
#ifndef GWD_SNMP_STATUS_H
#define GWD_SNMP_STATUS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"

enum { GWS_OK = 1, GWS_WARNING = 2, GWS_ERROR = 3 };

typedef struct snmp_meter_row {
    char *name;
    int status;
    bool ever_ok;
    int64_t last_read_ns;
} snmp_meter_row;

typedef struct snmp_report_row {
    char *name; /* the report instance ("files" for the unnamed one) */
    int status;
} snmp_report_row;

typedef struct snmp_status {
    snmp_meter_row *meters;
    size_t n_meters, cap_meters;
    snmp_report_row *reports;
    size_t n_reports, cap_reports;
    int64_t last_cycle_ns; /* wall time of the last readout cycle's end, 0 none */
    uint32_t cycles;
    int readout, report, aggregated; /* as of the last snmp_status_evaluate */
} snmp_status;

/* How many reports of an instance still wait for delivery (the store's outbox). */
typedef size_t (*snmp_queued_fn)(void *arg, const char *instance);

void snmp_status_init(snmp_status *s);
/* A report instance with reports queued: listed from now on (status 1 until it fails). */
void snmp_status_report_seen(snmp_status *s, const char *instance);
void snmp_status_free(snmp_status *s);
/* Take one datahub update in; true when it may change an aggregate (evaluate then). */
bool snmp_status_update(snmp_status *s, const dh_update *u);
/* Recompute the aggregates (reports whose queue emptied are 1 again); true when
 * readout or report aggregate changed since the last evaluation. */
bool snmp_status_evaluate(snmp_status *s, snmp_queued_fn queued, void *arg);
int snmp_status_meters_ok(const snmp_status *s);
#endif
