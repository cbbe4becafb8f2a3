/* snmp_module: the SNMP v2c agent as a gateway module (core/module.h), section
 * `snmp:` (docs/snmp.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/module.h"
#include "north/snmp/snmp_agent.h"
#include "north/snmp/snmp_config.h"

static bool parse(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err) {
    snmp_config *c = NULL;
    bool ok = snmp_config_parse(section, &c, err);
    *cfg = c;
    return ok;
}

static bool does_work(const void *cfg) { (void)cfg; return true; /* it answers managers */ }

/* The UDP port can be bound (what --check-config and the start try first). */
static bool check(const cfg_node *section, const void *cfg, cfg_err *err) {
    const snmp_config *c = cfg;
    if (!c) return true;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    inet_pton(AF_INET, c->bind, &a.sin_addr);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    int e = errno;
    if (fd >= 0) close(fd);
    if (!ok) {
        const cfg_node *at = cfg_get(section, "port") ? cfg_get(section, "port") : section;
        return cfg_fail(err, at, "snmp: udp %s:%lld: %s", c->bind, c->port, strerror(e));
    }
    return true;
}

static void *start(void *cfg, const gw_services *svc, char *err, size_t cap) {
    return snmp_agent_start(cfg, svc->loop, svc->hub, svc->store, err, cap);
}

static void stop(void *running) { snmp_agent_stop(running); }
static void free_cfg(void *cfg) { snmp_config_free(cfg); }

const gw_module snmp_module = {.section = "snmp", .parse = parse, .does_work = does_work, .check = check,
                               .start = start,
                               .stop = stop, .free = free_cfg};
