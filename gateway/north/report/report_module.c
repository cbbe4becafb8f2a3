/* report_module: the report instances as a gateway module (core/module.h),
 * section `reports:` (docs/reports.md). The configuration is the running
 * object: start subscribes it, stop unsubscribes it, and it is freed after
 * the final dump, while the store is still open. */
#include "core/module.h"
#include "core/preflight.h"
#include "north/report/report.h"

/* No section: no reports (*cfg NULL, err empty). */
static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    err->msg[0] = '\0';
    *cfg = report_configure(section, ctx->gateway_name, err);
    return *cfg || !err->msg[0];
}

/* Legacy reports.dir, every file transport's dir, the TLS files of MQTT and HTTP. */
static bool check(const cfg_node *reports, const void *cfg, cfg_err *err) {
    if (!preflight_folder(cfg_get(reports, "dir"), "reports.dir", err))
        return false;
    const cfg_node *list = cfg_get(reports, "instances");
    for (size_t i = 0; list && list->kind == CFG_SEQ && i < list->n; i++) {
        const cfg_node *tr = cfg_get(list->items[i], "transport");
        const cfg_node *tls = cfg_get(cfg_get(tr, "mqtt"), "tls");
        if (!preflight_folder(cfg_get(cfg_get(tr, "file"), "dir"), "transport.file.dir", err) ||
            !preflight_file_readable(cfg_get(tls, "ca_file"), "ca_file", err) ||
            !preflight_file_readable(cfg_get(tls, "cert_file"), "cert_file", err) ||
            !preflight_file_readable(cfg_get(tls, "key_file"), "key_file", err) ||
            !preflight_file_readable(cfg_get(cfg_get(tr, "http"), "ca_file"), "ca_file", err))
            return false;
    }
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    report_start(cfg, svc->hub, svc->loop, svc->store);
    return cfg;
}

/* gwd's shutdown stops it last (first row), after every driver; a staged
 * configuration restarts it (tools/reconfig.c): the queue is in the store. */
static void stop(void *running) { report_stop(running); }
static void free_cfg(void *cfg) { report_free(cfg); }

const gw_module report_module = {.section = "reports", .parse = parse, .check = check,
                                 .start = start, .stop = stop, .free = free_cfg};
