/* store_retention: how much the store keeps (gateway.retention), applied at
 * the end of each cycle. */
#include <stdio.h>

#include "core/config.h"
#include "store/store_int.h"

/* Oldest first, as the CU-XE data log does: beyond the count, then past the age. */
void store_apply_retention(gw_store *s, int64_t now_ns) {
    char sql[256];
    store_flush_samples(s);
    static const char *const tables[] = {"samples", "events"};
    int64_t keep[] = {s->keep_readings, s->keep_events};
    for (int i = 0; i < 2; i++) {
        if (keep[i] > 0) {
            snprintf(sql, sizeof sql,
                     "DELETE FROM %s WHERE id <= (SELECT id FROM %s ORDER BY id DESC"
                     " LIMIT 1 OFFSET %lld)",
                     tables[i], tables[i], (long long)keep[i]);
            store_exec(s, sql, "retention by count");
        }
        if (s->keep_age_ns > 0 && now_ns > s->keep_age_ns) {
            snprintf(sql, sizeof sql, "DELETE FROM %s WHERE ts_ns < %lld", tables[i],
                     (long long)(now_ns - s->keep_age_ns));
            store_exec(s, sql, "retention by age");
        }
    }
}

void store_set_retention(gw_store *s, int64_t max_readings, int64_t max_events,
                         int64_t max_age_ns) {
    if (!s)
        return;
    s->keep_readings = max_readings;
    s->keep_events = max_events;
    s->keep_age_ns = max_age_ns;
}

bool store_retention_parse(const cfg_node *node, store_retention *out, cfg_err *err) {
    static const char *const keys[] = {"readings", "events", "age", NULL};
    long long readings, events;
    out->readings = 1000000;
    out->events = 100000;
    out->age_ns = 0;
    if (!node)
        return true;
    if (node->kind != CFG_MAP)
        return cfg_fail(err, node, "retention: expected a map (readings, events, age)");
    if (!cfg_only_keys(node, keys, err) ||
        !cfg_int(node, "readings", out->readings, 0, INT64_MAX, &readings, err) ||
        !cfg_int(node, "events", out->events, 0, INT64_MAX, &events, err) ||
        !cfg_duration_ns(node, "age", 0, &out->age_ns, err))
        return false;
    out->readings = readings;
    out->events = events;
    return true;
}
