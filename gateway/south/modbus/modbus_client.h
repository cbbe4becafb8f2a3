/* modbus_client: polls Modbus meters over TCP and RTU (configuration section
 * `modbus:`, docs/modbus.md) and publishes their values to the datahub.
 *
 * Registers are read in slow / normal / fast polling groups (CU-XE defaults
 * 86400 s / 10 s / 1 s), per device with its own timeout and retries; with
 * `optimize: true` adjacent registers of one bank and group are merged into
 * one request (at most 125 registers / 2000 bits). Each serial port or TCP
 * endpoint is a link carrying one request at a time. A device that does not
 * answer after its retries is `not_read`: its points keep their last values
 * with quality invalid|not_topical, as the M-Bus master does.
 * Requests are built and sent by libmodbus (modbus_send_raw_request); answers
 * are read on the event loop through iochan and framed with the codec, so the
 * loop never waits inside libmodbus for a slow meter. */
#ifndef GW_MODBUS_CLIENT_H
#define GW_MODBUS_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"
#include "core/datahub.h"
#include "core/loop.h"

typedef struct modbus_client_config modbus_client_config;
typedef struct modbus_client modbus_client;

/* *out = NULL when the section is absent; false with err on a configuration error. */
bool modbus_client_config_parse(const cfg_node *section, modbus_client_config **out, cfg_err *err);
void modbus_client_config_free(modbus_client_config *cfg);
modbus_client *modbus_client_start(const modbus_client_config *cfg, gw_loop *loop, datahub *hub,
                                   char *err, size_t errlen);
void modbus_client_stop(modbus_client *cl); /* NULL is fine */
#endif
