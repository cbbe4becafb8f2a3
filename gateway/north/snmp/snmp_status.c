/* snmp_status: the status objects' bookkeeping (see snmp_status.h). */
#include "north/snmp/snmp_status.h"

#include <stdlib.h>
#include <string.h>

void snmp_status_init(snmp_status *s) {
    memset(s, 0, sizeof *s);
    s->readout = s->report = s->aggregated = GWS_OK;
}

void snmp_status_free(snmp_status *s) {
    for (size_t i = 0; i < s->n_meters; i++) free(s->meters[i].name);
    for (size_t i = 0; i < s->n_reports; i++) free(s->reports[i].name);
    free(s->meters);
    free(s->reports);
    memset(s, 0, sizeof *s);
}

/* The row named name in a table of rows of size bytes whose first member is
 * the name; added when absent (NULL when out of memory). */
static void *row(void **rows, size_t *n, size_t *cap, size_t size, const char *name) {
    for (size_t i = 0; i < *n; i++) {
        char **row_name = (char **)((char *)*rows + i * size);
        if (strcmp(*row_name, name) == 0) return row_name;
    }
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        void *p = realloc(*rows, c * size);
        if (!p) return NULL;
        *rows = p;
        *cap = c;
    }
    char *r = (char *)*rows + (*n)++ * size;
    memset(r, 0, size);
    if (!(*(char **)r = strdup(name))) {
        (*n)--;
        return NULL;
    }
    return r;
}

static void meter_update(snmp_status *s, const dh_meter *m) {
    snmp_meter_row *r = row((void **)&s->meters, &s->n_meters, &s->cap_meters, sizeof *r, m->name);
    if (!r) return;
    bool ok = m->status && strcmp(m->status, "ok") == 0;
    if (ok) {
        r->ever_ok = true;
        r->last_read_ns = m->last_read_ns;
    }
    r->status = ok ? GWS_OK : r->ever_ok ? GWS_ERROR : GWS_WARNING;
}

void snmp_status_report_seen(snmp_status *s, const char *instance) {
    snmp_report_row *r = row((void **)&s->reports, &s->n_reports, &s->cap_reports, sizeof *r, instance);
    if (r && !r->status) r->status = GWS_OK;
}

static bool report_event(snmp_status *s, const dh_event *e) {
    if (!e->source || strncmp(e->source, "report:", 7) != 0 || !e->kind) return false;
    snmp_report_row *r = row((void **)&s->reports, &s->n_reports, &s->cap_reports, sizeof *r, e->source + 7);
    if (!r) return false;
    if (strcmp(e->kind, "transport_failed") == 0 || strcmp(e->kind, "report_dropped") == 0) r->status = GWS_ERROR;
    else if (!r->status) r->status = GWS_OK;
    return true;
}

bool snmp_status_update(snmp_status *s, const dh_update *u) {
    switch (u->kind) {
    case DH_METER: meter_update(s, u->meter); return false;
    case DH_EVENT: return report_event(s, u->event);
    case DH_CYCLE_END:
        s->last_cycle_ns = u->ts_ns;
        s->cycles++;
        return true;
    default: return false;
    }
}

static int aggregate(size_t n, size_t ok) {
    return ok == n ? GWS_OK : ok == 0 ? GWS_ERROR : GWS_WARNING;
}

int snmp_status_meters_ok(const snmp_status *s) {
    int ok = 0;
    for (size_t i = 0; i < s->n_meters; i++) ok += s->meters[i].status == GWS_OK;
    return ok;
}

bool snmp_status_evaluate(snmp_status *s, snmp_queued_fn queued, void *arg) {
    size_t reports_ok = 0;
    for (size_t i = 0; i < s->n_reports; i++) {
        snmp_report_row *r = &s->reports[i];
        if (r->status == GWS_ERROR && queued && queued(arg, r->name) == 0) r->status = GWS_OK;
        reports_ok += r->status != GWS_ERROR;
    }
    int readout = aggregate(s->n_meters, (size_t)snmp_status_meters_ok(s)), report = aggregate(s->n_reports, reports_ok);
    bool changed = readout != s->readout || report != s->report;
    s->readout = readout;
    s->report = report;
    s->aggregated = readout == GWS_ERROR || report == GWS_ERROR ? GWS_ERROR
                    : readout == GWS_OK && report == GWS_OK    ? GWS_OK
                                                               : GWS_WARNING;
    return changed;
}
