/* config_check: the driver sections of the gateway configuration, parsed the
 * way gwd does at start-up (and `gwd --check-config`), in one place so the
 * configuration fuzzer exercises exactly the gateway's code. */
#ifndef GW_CONFIG_CHECK_H
#define GW_CONFIG_CHECK_H
#include <stdbool.h>
#include "core/config.h"
#include "south/dlms/dlms_config.h"
#include "north/iec104/iec104_server.h"
#include "south/mbus/mbus_config.h"
#include "south/modbus/modbus_client.h"
#include "north/modbus/modbus_server.h"
#include "north/report/report.h"
#include "south/wmbus/wmbus_config.h"

typedef struct gw_sections {
    mbus_config *mbus;
    iec104_config *iec104;                /* NULL: no IEC 104 server */
    modbus_server_config *modbus_srv_cfg; /* NULL: no Modbus server */
    modbus_client_config *modbus_cli_cfg; /* NULL: no Modbus meters */
    dlms_config *dlms;
    wmbus_config *wmbus;
    report *reports;                      /* NULL: no reports */
} gw_sections;

/* The top-level keys gwd accepts. */
extern const char *const gw_config_sections[];

/* Parse every driver section of root (the `gateway:` section is gwd's own).
 * false with err set; what was parsed is in *s either way (gw_sections_free). */
bool gw_sections_parse(const cfg_node *root, const char *gateway_name, gw_sections *s, cfg_err *err);
void gw_sections_free(gw_sections *s);
/* False with err at root when the sections have no bus and no server: such a
 * gateway would idle silently (an empty file, only a gateway: section). */
bool gw_sections_do_something(const cfg_node *root, const gw_sections *s, cfg_err *err);

/* Whole-text check as `gwd --check-config` does it, minus the file and the
 * preflight (config_preflight.h: it creates folders and binds ports, which a
 * fuzzer must not): the text must be a map of known sections, each valid, that
 * does something. err->msg reads
 * "name:line:col: what is wrong" on failure. */
bool gw_config_check_text(const char *text, const char *name, cfg_err *err);

/* Secrets (AES keys, DLMS passwords and keys) are in the configuration file or
 * in a key file: such a file must not be readable by group or others. True
 * when the file at path is fine (or unreadable by stat); false with a message
 * in why when its mode lets others read it. */
bool gw_secret_file_private(const char *path, char *why, size_t cap);
/* Whether a configuration holds secrets (a dlms password/ek/ak, a wmbus key). */
bool gw_config_has_secrets(const cfg_node *root);
#endif
