/* report_timeline: the run's trace (trace.h, the records the pcapng writer walks
 * too) as lanes and marks for the report's timeline picture.
 *
 * One lane per channel of the trace (bus, radio channel, TCP peer, the bench's
 * "hil" notes). Each record becomes one mark:
 *   collision  an answer the bench saw from more than one slave at once; on the
 *              simulated air (notes with bytes: "send T1 ..."), transmissions in one
 *              mode that overlap in time
 *   garbled    bytes that did not make a frame: framing or parity errors, "garbled",
 *              "garbage byte", "bad frame", "incomplete frame" in the record's event
 *   request    a frame of the lane's master: the gateway on a bus, the bench's
 *              master on a peer the gateway serves (the lane's first frame tells)
 *   retry      a request like the one before it on the lane (the same bytes; an
 *              M-Bus short frame with only its FCB toggled) when that one got no
 *              answer, or a collision or garbled one
 *   answer     a frame of the other side; a meter's transmission on the air
 *   timeout    derived: the master sent again (or the run ended) without an answer
 *              to its request; placed where the master gave up
 *   cycle      a note about a readout cycle; note: any other note
 * Large runs: at most max_marks marks; the unusual ones (everything but request and
 * answer) are kept first, then requests and answers in time order; every record
 * still counts in its lane's density bins. */
#ifndef SIM_REPORT_TIMELINE_H
#define SIM_REPORT_TIMELINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/core/trace.h"

#define REPORT_BINS 200

typedef enum { MK_REQUEST, MK_ANSWER, MK_RETRY, MK_COLLISION, MK_GARBLED, MK_TIMEOUT, MK_CYCLE, MK_NOTE,
               MK_COUNT } report_mark_kind;

typedef struct report_mark {
    size_t rec;          /* the trace record (for a timeout: the unanswered request) */
    size_t lane;
    report_mark_kind kind;
    int64_t t_ns, end_ns;
} report_mark;

typedef struct report_lane {
    char name[32];
    int kind;            /* trace_channel_kind of its first frame */
    bool bench_master;   /* the bench sends the requests on this lane */
    bool has_master;     /* it has frames between a master and others (not only air or notes) */
    size_t records, counts[MK_COUNT];
    unsigned bins[REPORT_BINS]; /* records per 1/REPORT_BINS of the run */
} report_lane;

typedef struct report_timeline {
    report_lane *lanes;
    size_t n_lanes;
    report_mark *marks;  /* the marks shown, in time order */
    size_t n_marks, n_all; /* shown, and how many there were */
    int64_t end_ns;      /* the end of the last record */
} report_timeline;

const char *report_mark_kind_name(report_mark_kind k);
/* -1 when out of memory. */
int report_timeline_build(report_timeline *tl, const trace *tr, size_t max_marks);
void report_timeline_free(report_timeline *tl);
#endif
