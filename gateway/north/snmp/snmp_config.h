/* snmp_config: the `snmp:` section (the SNMP v2c agent inside gwd), validated
 * with file:line:col errors. See docs/snmp.md. */
#ifndef GWD_SNMP_CONFIG_H
#define GWD_SNMP_CONFIG_H
#include <stddef.h>

#include "core/config.h"

#define SNMP_MAX_TRAPS 8

typedef struct snmp_trap_sink {
    char *host; /* IPv4 address */
    long long port;
} snmp_trap_sink;

typedef struct snmp_config {
    char *bind;
    long long port;       /* UDP */
    char *community;      /* read-only community of the agent */
    char *trap_community; /* community of the traps (default: community) */
    snmp_trap_sink traps[SNMP_MAX_TRAPS];
    size_t n_traps;
} snmp_config;

/* NULL section: *out = NULL (no agent). */
bool snmp_config_parse(const cfg_node *section, snmp_config **out, cfg_err *err);
void snmp_config_free(snmp_config *c);
#endif
