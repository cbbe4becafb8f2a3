/* snmp_agent: an SNMP v2c agent inside gwd (net-snmp's agent library as the
 * master agent, on gwd's loop) serving GWD-STATUS-MIB (docs/GWD-STATUS-MIB.txt)
 * from snmp_status.h, and sending a v2c trap (gwdStatusChange) to every
 * receiver when the readout or the report aggregate changes. See docs/snmp.md. */
#ifndef GWD_SNMP_AGENT_H
#define GWD_SNMP_AGENT_H
#include <stddef.h>

#include "core/datahub.h"
#include "core/loop.h"
#include "north/snmp/snmp_config.h"
#include "store/store.h"

typedef struct snmp_agent snmp_agent;

snmp_agent *snmp_agent_start(const snmp_config *cfg, gw_loop *loop, datahub *hub, gw_store *store, char *err,
                             size_t cap);
void snmp_agent_stop(snmp_agent *a);
#endif
