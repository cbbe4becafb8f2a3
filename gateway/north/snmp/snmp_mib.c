/* snmp_mib: the MIB's layout (see snmp_mib.h and docs/GWD-STATUS-MIB.txt):
 *   base.1.1.0 gwdAggregatedStatus   base.1.5.0 gwdMetersOk
 *   base.1.2.0 gwdReadoutStatus      base.1.6.0 gwdLastCycleTime
 *   base.1.3.0 gwdReportStatus       base.1.7.0 gwdCycles
 *   base.1.4.0 gwdMeterCount
 *   base.1.8.1.{2 name, 3 status, 4 lastRead}.i   gwdMeterTable
 *   base.1.9.1.{2 name, 3 status}.i               gwdReportTable */
#include "north/snmp/snmp_mib.h"

#include <stdlib.h>

#include "core/clock.h"

static const uint32_t BASE[GWD_MIB_BASE_LEN] = {GWD_MIB_BASE};

static void put(snmp_mib_var *v, size_t *n, const uint32_t *suffix, size_t len, snmp_mib_type type, int64_t number,
                const char *text) {
    snmp_mib_var *x = &v[(*n)++];
    for (size_t i = 0; i < GWD_MIB_BASE_LEN; i++) x->oid[i] = BASE[i];
    for (size_t i = 0; i < len; i++) x->oid[GWD_MIB_BASE_LEN + i] = suffix[i];
    x->len = GWD_MIB_BASE_LEN + len;
    x->type = type;
    x->number = number;
    x->text = text;
}

static void scalar(snmp_mib_var *v, size_t *n, uint32_t id, snmp_mib_type type, int64_t number) {
    uint32_t s[] = {1, id, 0};
    put(v, n, s, 3, type, number, NULL);
}

static void cell(snmp_mib_var *v, size_t *n, uint32_t table, uint32_t column, size_t row, snmp_mib_type type,
                 int64_t number, const char *text) {
    uint32_t s[] = {1, table, 1, column, (uint32_t)row + 1};
    put(v, n, s, 5, type, number, text);
}

snmp_mib_var *snmp_mib_build(const snmp_status *s, size_t *n) {
    snmp_mib_var *v = calloc(7 + 3 * s->n_meters + 2 * s->n_reports, sizeof *v);
    *n = 0;
    if (!v) return NULL;
    scalar(v, n, 1, MIBV_INTEGER, s->aggregated);
    scalar(v, n, 2, MIBV_INTEGER, s->readout);
    scalar(v, n, 3, MIBV_INTEGER, s->report);
    scalar(v, n, 4, MIBV_GAUGE, (int64_t)s->n_meters);
    scalar(v, n, 5, MIBV_GAUGE, snmp_status_meters_ok(s));
    scalar(v, n, 6, MIBV_UNSIGNED, s->last_cycle_ns / NS_PER_S);
    scalar(v, n, 7, MIBV_COUNTER, s->cycles);
    for (size_t i = 0; i < s->n_meters; i++) cell(v, n, 8, 2, i, MIBV_STRING, 0, s->meters[i].name);
    for (size_t i = 0; i < s->n_meters; i++) cell(v, n, 8, 3, i, MIBV_INTEGER, s->meters[i].status, NULL);
    for (size_t i = 0; i < s->n_meters; i++)
        cell(v, n, 8, 4, i, MIBV_UNSIGNED, s->meters[i].last_read_ns / NS_PER_S, NULL);
    for (size_t i = 0; i < s->n_reports; i++) cell(v, n, 9, 2, i, MIBV_STRING, 0, s->reports[i].name);
    for (size_t i = 0; i < s->n_reports; i++) cell(v, n, 9, 3, i, MIBV_INTEGER, s->reports[i].status, NULL);
    return v;
}

static int compare(const uint32_t *a, size_t la, const uint32_t *b, size_t lb) {
    for (size_t i = 0; i < la && i < lb; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return la < lb ? -1 : la > lb;
}

const snmp_mib_var *snmp_mib_find(const snmp_mib_var *vars, size_t n, const uint32_t *oid, size_t len, bool next) {
    for (size_t i = 0; i < n; i++) {
        int c = compare(vars[i].oid, vars[i].len, oid, len);
        if (next ? c > 0 : c == 0) return &vars[i];
    }
    return NULL;
}
