/* report_status: the running reports for other north modules (report.h):
 * each instance's format, transport, queue and last delivery. */
#include <stddef.h>
#include "north/report/report.h"
#include "north/report/report_inst.h"
#include "north/report/report_int.h"
#include "north/report/report_transport.h"

static report *running;

void report_status_register(report *r) { running = r; }
void report_status_unregister(report *r) {
    if (running == r)
        running = NULL;
}
report *report_running(void) { return running; }

static const char *format_name(const rpt_instance *in) {
    switch (in->kind) {
    case RF_CSV: return "csv";
    case RF_JSON: return "json";
    case RF_XML: return "xml";
    default: return "events";
    }
}

size_t report_list(report *r, report_info *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; r && i < r->n && n < cap; i++) {
        const rpt_instance *in = &r->inst[i];
        out[n++] = (report_info){.name = in->name,
                                 .format = format_name(in),
                                 .transport = in->tr ? in->tr->kind->name : "file",
                                 .per_cycle = in->per_cycle,
                                 .queued = report_queued(in),
                                 .last_delivery_ns = in->last_delivery_ns,
                                 .last_failure_ns = in->last_failure_ns,
                                 .last_error = in->last_error};
    }
    return n;
}
