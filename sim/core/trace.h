/* trace: what happened on the bench's channels, as JSON lines and in memory.
 *
 * One record per frame (or chunk, or event) with the times it occupied the wire,
 * relative to the start of the scenario:
 *   {"t_ns":..,"end_ns":..,"ch":"bus1","dir":"gw>bus","baud":2400,"hex":"10 40 05 45 16","event":"request"}
 * dir is "gw>bus" (master to slaves), "bus>gw" (slaves to master) or "note".
 * Expectations on timing read the in-memory records (or a trace file loaded back). */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { TRACE_GW_TO_BUS, TRACE_BUS_TO_GW, TRACE_NOTE } trace_dir;

typedef struct trace_rec {
    int64_t t_ns;   /* start on the wire (ns since the scenario started) */
    int64_t end_ns; /* end of the last byte on the wire */
    char ch[32];
    trace_dir dir;
    unsigned baud;
    uint8_t *bytes;
    size_t len;
    char event[96];
} trace_rec;

typedef struct trace {
    trace_rec *recs;
    size_t n, cap;
    FILE *out;      /* JSON lines file, or NULL */
    int64_t t0_ns;  /* monotonic time of the scenario start */
} trace;

void trace_init(trace *tr, int64_t t0_ns);
/* Also write every record to path (JSON lines); -1 when it cannot be created. */
int trace_open_file(trace *tr, const char *path);
/* Add a record; start/end are monotonic ns (converted to scenario time here). */
void trace_add(trace *tr, const char *ch, trace_dir dir, unsigned baud, int64_t start_mono_ns,
               int64_t end_mono_ns, const uint8_t *bytes, size_t len, const char *event);
void trace_free(trace *tr);

/* Load a trace file written by trace_open_file (for evaluating a saved run). */
int trace_load(trace *tr, const char *path, char *err, size_t errlen);
const char *trace_dir_name(trace_dir dir);
#endif
