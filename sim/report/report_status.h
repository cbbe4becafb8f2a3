/* report_status: the meters' status changes for the report's timeline, read from
 * the gateway's SQLite store after the run: a meter is "read" from each reading it
 * gave (samples) and "not read: why" from each not_read event; a change of that
 * state, and each rejected telegram, is one mark on the meter's lane. The store's
 * times are wall times; wall0_ns (the scenario start) makes them scenario times. */
#ifndef SIM_REPORT_STATUS_H
#define SIM_REPORT_STATUS_H
#include <stddef.h>
#include <stdint.h>

typedef struct report_status {
    char meter[64];
    int64_t t_ns;
    char text[160];
} report_status;

typedef struct report_status_list {
    report_status *v;
    size_t n, cap;
    size_t dropped; /* over the cap */
} report_status_list;

/* Empty (not an error) when there is no store or it has no such tables. */
void report_status_load(report_status_list *l, const char *store_path, int64_t wall0_ns, size_t max);
void report_status_free(report_status_list *l);
#endif
