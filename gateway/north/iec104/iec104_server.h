/* iec104_server: the gateway's IEC 60870-5-104 server (CU-XE §6.4.5).
 *
 * Serves the datahub's points to SCADA masters as configured in the `iec104:`
 * section (docs/configuration.md, docs/iec104.md): spontaneous transmission by
 * push mode (always / on change / deadband against the last transmitted value),
 * general and counter interrogation, read, clock synchronisation, single and
 * double commands (select-before-operate or direct execute, time tagged with a
 * maximum age). Commands go back through the datahub (DH_COMMAND). Several
 * masters ("cloned connections") get the same data image, each with its own
 * bounded queues; every byte goes through iochan. */
#ifndef GW_IEC104_SERVER_H
#define GW_IEC104_SERVER_H
#include "core/config.h"
#include "core/datahub.h"
#include "core/loop.h"

typedef struct iec104_config iec104_config;
typedef struct iec104_server iec104_server;

/* Parse the `iec104:` section. NULL section → NULL with err->msg empty (disabled).
 * NULL with err set → configuration error ("file:line:col: ..."). */
iec104_config *iec104_config_parse(const cfg_node *section, cfg_err *err);
void iec104_config_free(iec104_config *cfg);

/* Start serving (cfg must outlive the server). NULL with err on failure. */
iec104_server *iec104_server_start(const iec104_config *cfg, gw_loop *loop, datahub *hub,
                                   char *err, size_t errlen);
/* Close every connection and the listening socket; publishes the final counters. */
void iec104_server_stop(iec104_server *srv);
/* The port actually listened on (useful with port 0), -1 before listening. */
int iec104_server_port(const iec104_server *srv);
#endif
