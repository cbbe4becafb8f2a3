/* modbus_server: the gateway as a Modbus slave for SCADA/BMS masters
 * (configuration section `modbus_server:`, docs/modbus.md).
 *
 * Modbus TCP (several masters at once) and Modbus RTU on a serial port, both at
 * once, answering from one register image that follows the datahub:
 *  - mapping groups (CU-XE): data point → bank, address, format, byte order,
 *    scaling;
 *  - the MUC500 automatic layout (modbus_server_muc500.h), standard or float
 *    only, optionally swapped and multi slave (unit id k = k-th meter, 255 =
 *    the gateway itself).
 * Reads of coils/discrete inputs/input/holding registers (FC 1-4) are served;
 * writes (FC 5, 6, 15, 16) get ILLEGAL DATA ADDRESS (the server is read only,
 * as the MUC500's), other functions ILLEGAL FUNCTION, counts out of range
 * ILLEGAL DATA VALUE, unmapped addresses ILLEGAL DATA ADDRESS, FC 0x2B/0x0E
 * answers the device identification. libmodbus builds and sends every answer;
 * requests are framed here, on the event loop, and every byte is counted
 * through iochan. */
#ifndef GW_MODBUS_SERVER_H
#define GW_MODBUS_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"
#include "core/datahub.h"
#include "core/loop.h"

typedef struct modbus_server_config modbus_server_config;
typedef struct modbus_server modbus_server;

/* Parse the `modbus_server:` section; *out = NULL when the section is absent.
 * False with err ("file:line:col: ...") on a configuration error. */
bool modbus_server_config_parse(const cfg_node *section, modbus_server_config **out, cfg_err *err);
void modbus_server_config_free(modbus_server_config *cfg);

/* Listen/open the port(s) and subscribe to hub. NULL with err on failure. */
modbus_server *modbus_server_start(const modbus_server_config *cfg, gw_loop *loop, datahub *hub,
                                   char *err, size_t errlen);
void modbus_server_stop(modbus_server *srv); /* NULL is fine */
#endif
