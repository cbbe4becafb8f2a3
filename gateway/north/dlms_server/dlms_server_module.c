/* dlms_server_module: the DLMS/COSEM server toward a head-end as a gateway
 * module (core/module.h), section `dlms_server:` (docs/dlms.md "DLMS server"). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/module.h"
#include "core/preflight.h"
#include "north/dlms_server/dlms_server.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    dlms_server_config *c = NULL;
    bool ok = dlms_server_config_parse(section, ctx ? ctx->gateway_name : NULL, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) { (void)cfg; return true; /* it answers head-ends */ }

/* The TCP port can be bound, the serial port opened. */
static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const dlms_server_config *c = cfg;
    char why[256];
    if (c && c->hdlc_device) {
        int fd = open(c->hdlc_device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            const cfg_node *h = cfg_get(section, "hdlc");
            return cfg_fail(err, cfg_get(h, "device") ? cfg_get(h, "device") : h, "dlms_server: hdlc %s: %s",
                            c->hdlc_device, strerror(errno));
        }
        close(fd);
    }
    if (c && c->tcp && !preflight_tcp_bindable(c->bind, c->port, why, sizeof why))
        return cfg_fail(err, preflight_port_node(cfg_get(section, "tcp")), "dlms_server: tcp %s:%lld: %s", c->bind,
                        c->port, why);
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return dlms_server_start(cfg, svc->loop, svc->hub, svc->store, svc->state, err, cap);
}

static void stop(void *running) { dlms_server_stop(running); }
static void free_cfg(void *cfg) { dlms_server_config_free(cfg); }

const gw_module dlms_server_module = {.section = "dlms_server", .parse = parse, .does_work = does_work,
                                      .check = check, .start = start, .stop = stop, .free = free_cfg};
