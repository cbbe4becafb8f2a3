/* web_api_reports: the report instances (format, transport, queue, last
 * delivery) and a report of one now (north/report's report_trigger). */
#include <stdio.h>
#include "north/report/report.h"
#include "north/web/web_ctx.h"

void web_api_reports(web_ctx *c) {
    report_info info[16];
    size_t n = report_list(report_running(), info, 16);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char ok[32], bad[32];
        web_iso(info[i].last_delivery_ns, ok);
        web_iso(info[i].last_failure_ns, bad);
        json_array_append_new(
            a, json_pack("{s:s,s:s,s:s,s:b,s:I,s:s,s:s,s:s}", "name", info[i].name, "format",
                         info[i].format, "transport", info[i].transport, "per_cycle",
                         info[i].per_cycle, "queued", (json_int_t)info[i].queued, "last_delivery",
                         ok, "last_failure", bad, "last_error", info[i].last_error));
    }
    web_reply_json(c, 200, json_pack("{s:o}", "reports", a));
}

void web_api_report_trigger(web_ctx *c) {
    const char *name = c->match->params[0];
    if (!report_trigger(report_running(), name)) {
        web_reply_error(c, 404, "no such report instance");
        return;
    }
    char text[256];
    snprintf(text, sizeof text, "user %s triggered report %s", c->user->name, name);
    web_audit(c->srv, "report_triggered", text);
    web_reply_json(c, 202, json_pack("{s:s,s:b}", "report", name, "queued", 1));
}
