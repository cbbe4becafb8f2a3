/* vmbus_config: the `mbus_virtual:` section (docs/mbus.md, "Virtual M-Bus over TCP"). */
#ifndef GW_VMBUS_CONFIG_H
#define GW_VMBUS_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_secondary.h"
#include "core/config.h"

/* A meter's addresses on the virtual segment, set by the configuration. */
typedef struct vmbus_meter_cfg {
    const char *name;
    int primary;              /* 0..250, -1: none, -2: as read */
    bool has_secondary;
    mbus_secondary secondary; /* concrete (no wildcards in the id) */
} vmbus_meter_cfg;

typedef struct vmbus_config {
    const char *bind;
    long long port;
    long long max_connections;
    int64_t idle_timeout_ns;      /* an inactive connection is closed (0: never) */
    int64_t value_expiration_ns;  /* older values are reported with a temporary error (0: never) */
    bool protocols[5];            /* by dp_protocol: whose meters are offered */
    bool primary_as_read;         /* M-Bus meters keep their primary address */
    size_t n_meters;
    vmbus_meter_cfg *meters;
} vmbus_config;

/* NULL section: *out = NULL (not configured). */
bool vmbus_config_parse(const cfg_node *section, vmbus_config **out, cfg_err *err);
void vmbus_config_free(vmbus_config *c);
const vmbus_meter_cfg *vmbus_config_meter(const vmbus_config *c, const char *name);
#endif
