/* modules: the table of the gateway's subsystems. Adding one is one row here
 * (its gw_module lives in its own folder: south/<bus>/<bus>_module.c,
 * north/<server>/<server>_module.c).
 *
 * The order is the start order (stopped in reverse): the reports first (they
 * subscribe right after the store, so the cycle's reports join its
 * transaction), then the servers (they subscribe before the datahub dump:
 * their counters are published ahead of each dump), then the drivers, which
 * only publish. */
#include "tools/modules.h"

extern const gw_module report_module, iec104_module, modbus_server_module, modbus_client_module,
    mbus_module, wmbus_module, dlms_module, web_module;
extern const gw_module mbus_virtual_module, dlms_server_module, snmp_module;

const gw_module *const gw_modules[] = {
    &report_module,        /* reports:       north/report/report_module.c */
    &iec104_module,        /* iec104:        north/iec104/iec104_module.c */
    &modbus_server_module, /* modbus_server: north/modbus/modbus_server_module.c */
    &mbus_virtual_module,  /* mbus_virtual:  north/mbus_virtual/vmbus_module.c */
    &dlms_server_module,   /* dlms_server:   north/dlms_server/dlms_server_module.c */
    &snmp_module,          /* snmp:          north/snmp/snmp_module.c */
    &modbus_client_module, /* modbus:        south/modbus/modbus_client_module.c */
    &mbus_module,          /* mbus:          south/mbus/mbus_module.c */
    &wmbus_module,         /* wmbus:         south/wmbus/wmbus_module.c */
    &dlms_module,          /* dlms:          south/dlms/dlms_module.c */
    &web_module,           /* web:           north/web/web_module.c (after the reports: it lists them) */
};
const size_t gw_n_modules = sizeof gw_modules / sizeof gw_modules[0];

_Static_assert(sizeof gw_modules / sizeof gw_modules[0] <= GW_MODULES_MAX,
               "raise GW_MODULES_MAX");
