/* gateway_section: the `gateway:` section, gwd's own (not a module's): the
 * gateway's name, the log level and the services gwd sets up for every module
 * (the store and its retention, the datahub dump). docs/configuration.md. */
#ifndef GW_GATEWAY_SECTION_H
#define GW_GATEWAY_SECTION_H
#include <stdbool.h>
#include "core/config.h"
#include "store/store.h"

typedef struct gw_gateway {
    const char *name;
    int log_level;
    const char *store_path; /* NULL: no store */
    const char *dump_path;  /* NULL: no datahub dump */
    store_retention retention;
    long long hold; /* writes held in memory while the store cannot be written */
} gw_gateway;

/* sec may be NULL (the defaults). false with err ("file:line:col: ..."). */
bool gw_gateway_parse(const cfg_node *sec, gw_gateway *g, cfg_err *err);
#endif
