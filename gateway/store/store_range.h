/* store_range: what a north server reads back from the store by time range
 * (the DLMS server's profile generic and event log objects with selective
 * access by range). Read-only; pending samples are flushed first so a range
 * sees what the datahub published up to now. Each call visits at most max rows
 * (0 = no limit) and returns how many it visited. */
#ifndef GW_STORE_RANGE_H
#define GW_STORE_RANGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One stored sample of a point: a number, or a text (strings; bytes as hex). */
typedef void (*store_range_fn)(void *arg, int64_t ts_ns, bool has_number, double number,
                               const char *text);
/* The samples of point with from_ns <= ts_ns <= to_ns, oldest first (samples
 * flagged not topical, the marks of a failed read, are left out). */
size_t store_point_range(gw_store *store, const char *point, int64_t from_ns, int64_t to_ns,
                         size_t max, store_range_fn fn, void *arg);

/* One stored event. */
typedef struct store_range_event {
    int64_t ts_ns;
    const char *source, *kind, *meter, *text; /* meter may be NULL */
} store_range_event;
typedef void (*store_range_event_fn)(void *arg, const store_range_event *row);
/* Events with from_ns <= ts_ns <= to_ns, oldest first. */
size_t store_events_range(gw_store *store, int64_t from_ns, int64_t to_ns, size_t max,
                          store_range_event_fn fn, void *arg);

/* Each report instance with reports waiting in the outbox (committed or in the
 * open transaction), once each; returns how many. */
typedef void (*store_instance_fn)(void *arg, const char *instance);
size_t store_outbox_instances(gw_store *store, store_instance_fn fn, void *arg);
#endif
