/* The SNMP agent's parts without net-snmp: the `snmp:` section's errors, the
 * status bookkeeping from datahub updates (meter codes 1/2/3, report failures
 * and recovery when the queue empties, the aggregation rules, when a trap is
 * due) and the MIB's object list (OID order, GET and GETNEXT). */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/datahub.h"
#include "north/snmp/snmp_config.h"
#include "north/snmp/snmp_mib.h"
#include "north/snmp/snmp_status.h"
#include "tests/test.h"

static snmp_config *parse(const char *text, cfg_err *err) {
    cfg_node *root = cfg_load_string(text, "s.yaml", err);
    snmp_config *c = NULL;
    if (!root) return NULL;
    if (!snmp_config_parse(cfg_get(root, "snmp"), &c, err)) c = NULL;
    cfg_free(root);
    return c;
}

static void fails(const char *text, const char *msg) {
    cfg_err err = {{0}};
    snmp_config *c = parse(text, &err);
    CHECK(c == NULL);
    CHECK_MSG(strstr(err.msg, msg) != NULL, "%s (wanted %s)", err.msg, msg);
    snmp_config_free(c);
}

static void test_config(void) {
    cfg_err err = {{0}};
    snmp_config *c = parse("snmp: {port: 1161, traps: [{host: 127.0.0.1}, {host: 10.0.0.1, port: 1162}]}\n", &err);
    CHECK_MSG(c != NULL, "%s", err.msg);
    if (c) {
        CHECK_INT(c->port, 1161);
        CHECK_STR(c->community, "public");
        CHECK_STR(c->trap_community, "public");
        CHECK_INT(c->n_traps, 2);
        CHECK_INT(c->traps[0].port, 162);
        CHECK_STR(c->traps[1].host, "10.0.0.1");
    }
    snmp_config_free(c);
    fails("snmp: {traps: [{host: gateway.example}]}\n", "s.yaml:1:23: host \"gateway.example\" is not an IPv4 address");
    fails("snmp: {community: \"a b\"}\n", "community: 1 to 64 characters without blanks");
    fails("snmp: {port: 0}\n", "port");
    fails("snmp: {traps: [{port: 162}]}\n", "host is required");
    fails("snmp: {bind: everywhere}\n", "bind \"everywhere\" is not an IPv4 address");
    fails("snmp: {version: 3}\n", "version");
}

static void meter(snmp_status *s, const char *name, const char *status, int64_t last) {
    dh_meter m = {.name = name, .status = status, .last_read_ns = last};
    dh_update u = {.kind = DH_METER, .meter = &m};
    CHECK(!snmp_status_update(s, &u));
}

static bool event(snmp_status *s, const char *source, const char *kind) {
    dh_event e = {.source = source, .kind = kind, .text = "x"};
    dh_update u = {.kind = DH_EVENT, .event = &e};
    return snmp_status_update(s, &u);
}

static bool cycle(snmp_status *s, int64_t ts) {
    dh_update u = {.kind = DH_CYCLE_END, .source = "mbus:bus1", .ts_ns = ts};
    return snmp_status_update(s, &u);
}

static size_t queue_len = 1;
static size_t queued(void *arg, const char *instance) { return strcmp(instance, "bad") == 0 ? queue_len : 0; }

static void test_status(void) {
    snmp_status s;
    snmp_status_init(&s);
    CHECK(!snmp_status_evaluate(&s, queued, NULL)); /* nothing known: all ok, no change */
    CHECK_INT(s.aggregated, GWS_OK);
    meter(&s, "a", "ok", 5000000000LL);
    meter(&s, "b", "ok", 6000000000LL);
    meter(&s, "ghost", "not_read", 0);
    CHECK(cycle(&s, 7000000000LL));
    CHECK(snmp_status_evaluate(&s, queued, NULL)); /* readout 1 -> 2: a trap */
    CHECK_INT(s.readout, GWS_WARNING);
    CHECK_INT(s.report, GWS_OK);
    CHECK_INT(s.aggregated, GWS_WARNING);
    CHECK_INT(s.meters[2].status, GWS_WARNING); /* never read */
    CHECK(!snmp_status_evaluate(&s, queued, NULL)); /* no change, no second trap */
    meter(&s, "a", "not_read", 0);                  /* read before, fails now */
    CHECK_INT(s.meters[0].status, GWS_ERROR);
    CHECK_INT(s.meters[0].last_read_ns, 5000000000LL); /* the last good one stays */
    meter(&s, "b", "error", 0);
    CHECK(snmp_status_evaluate(&s, queued, NULL));
    CHECK_INT(s.readout, GWS_ERROR); /* none ok */
    CHECK_INT(s.aggregated, GWS_ERROR);
    /* reports: listed when seen, failed by an event, ok again once the queue empties */
    snmp_status_report_seen(&s, "good");
    CHECK(!event(&s, "mbus:bus1", "not_read")); /* not a report's */
    CHECK(event(&s, "report:bad", "transport_failed"));
    CHECK(snmp_status_evaluate(&s, queued, NULL));
    CHECK_INT(s.n_reports, 2);
    CHECK_INT(s.report, GWS_WARNING);
    CHECK_INT(s.reports[1].status, GWS_ERROR);
    queue_len = 0;
    CHECK(snmp_status_evaluate(&s, queued, NULL));
    CHECK_INT(s.report, GWS_OK);
    CHECK_INT(s.cycles, 1);
    CHECK_INT(snmp_status_meters_ok(&s), 0);

    /* the MIB over it: OID order, GET, GETNEXT */
    size_t n;
    snmp_mib_var *v = snmp_mib_build(&s, &n);
    CHECK_INT(n, 7 + 3 * 3 + 2 * 2);
    for (size_t i = 1; v && i < n; i++) {
        const snmp_mib_var *next = snmp_mib_find(v, n, v[i - 1].oid, v[i - 1].len, true);
        CHECK(next == &v[i]);
    }
    uint32_t agg[] = {GWD_MIB_BASE, 1, 1, 0}, root[] = {GWD_MIB_BASE}, name3[] = {GWD_MIB_BASE, 1, 8, 1, 2, 3},
             past[] = {GWD_MIB_BASE, 1, 9, 1, 3, 2}, last_read[] = {GWD_MIB_BASE, 1, 8, 1, 4};
    const snmp_mib_var *x = snmp_mib_find(v, n, agg, 13, false);
    CHECK(x && x->type == MIBV_INTEGER && x->number == GWS_ERROR);
    x = snmp_mib_find(v, n, root, GWD_MIB_BASE_LEN, true);
    CHECK(x == &v[0]);
    x = snmp_mib_find(v, n, name3, 15, false);
    CHECK(x && x->type == MIBV_STRING && strcmp(x->text, "ghost") == 0);
    CHECK(snmp_mib_find(v, n, past, 16, true) == NULL);
    CHECK(snmp_mib_find(v, n, agg, 12, false) == NULL); /* no instance without .0 */
    x = snmp_mib_find(v, n, last_read, 14, true);         /* the column's first row */
    CHECK(x && x->number == 5);
    free(v);
    snmp_status_free(&s);
}

int main(void) {
    test_config();
    test_status();
    return test_summary("test_snmp_status");
}
