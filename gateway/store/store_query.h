/* store_query: reading history and events back out of the store for north
 * modules that show them (the web API), without SQL outside the store.
 * Rows go to a callback; pointers in a row are valid during the call only. */
#ifndef GW_STORE_QUERY_H
#define GW_STORE_QUERY_H
#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

typedef struct store_reading {
    int64_t ts_ns;
    const char *point, *meter, *quantity, *unit;
    bool has_number;
    double value;
    const char *text; /* strings, bytes as hex; NULL when none */
    unsigned quality;
} store_reading;
typedef void (*store_reading_fn)(void *arg, const store_reading *r);

/* Readings of meter (NULL: every meter) with from_ns <= ts_ns < to_ns, oldest
 * first, skipping offset rows, at most limit. Returns how many, -1 on error. */
int64_t store_query_readings(gw_store *store, const char *meter, int64_t from_ns, int64_t to_ns,
                             int64_t offset, int64_t limit, store_reading_fn fn, void *arg);

typedef struct store_event_filter {
    const char *source, *kind, *meter; /* NULL: any */
    int64_t from_ns, to_ns;            /* from_ns <= ts_ns < to_ns */
} store_event_filter;
typedef struct store_event_row {
    int64_t id, ts_ns;
    const char *source, *kind, *meter, *text;
} store_event_row;
typedef void (*store_event_fn)(void *arg, const store_event_row *e);
/* Events matching f, newest first, skipping offset, at most limit; how many, -1 on error. */
int64_t store_query_events(gw_store *store, const store_event_filter *f, int64_t offset,
                           int64_t limit, store_event_fn fn, void *arg);
#endif
