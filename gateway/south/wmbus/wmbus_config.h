/* wmbus_config: the `wmbus:` section of the gateway configuration: radio
 * modules (IMST iM871A host protocol on a serial port), their link mode,
 * the meter list with keys, the CMe3100 key file, listen mode and filters.
 * See docs/wmbus.md. Errors read "file:line:col: what is wrong". */
#ifndef GW_WMBUS_CONFIG_H
#define GW_WMBUS_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "south/wmbus/wmbus_keys.h"

#define WMBUS_NAME_MAX 64
#define WMBUS_LISTEN_CACHE_MAX 500 /* MUC500 WMBUS_CACHESIZE: 1..500 */
#define WMBUS_FILTER_MAX 16

typedef struct wmbus_meter_cfg {
    char *name;
    uint32_t id_bcd;
    bool any_man;
    uint16_t manufacturer;
    bool has_key;              /* a key linked to this meter: tried first */
    uint8_t key[16];
    int64_t interval_ns;       /* expected time between telegrams, 0 = unknown */
} wmbus_meter_cfg;

typedef struct wmbus_filter {
    size_t n_man, n_types;
    uint16_t manufacturers[WMBUS_FILTER_MAX]; /* empty = all */
    int device_types[WMBUS_FILTER_MAX];       /* empty = all */
    bool has_min_rssi;
    double min_rssi_dbm;
} wmbus_filter;

typedef struct wmbus_module_cfg {
    char *name;
    char *device;
    long baud;
    int link_mode;             /* IM_MODE_* */
    bool listen;               /* record unknown meters */
    int listen_cache;          /* 1..500 */
    char *listen_list;         /* NULL: none; the cache as CSV (only with listen) */
    int64_t cycle_ns;          /* link quality/counters and DH_CYCLE_END */
    int64_t check_interval_ns; /* module health check */
    int64_t response_timeout_ns;
    int retries;               /* of a request before the module counts as dead */
    int64_t duplicate_window_ns;
    wmbus_filter filter;
    char *keys_path;           /* NULL: no key file */
    wmbus_keys keys;
    size_t n_meters;
    wmbus_meter_cfg *meters;
} wmbus_module_cfg;

typedef struct wmbus_config {
    size_t n_modules;
    wmbus_module_cfg *modules;
} wmbus_config;

/* Parse the `wmbus:` sequence (NULL = none: an empty config). Relative key
 * file paths are taken from the configuration file's directory. NULL with
 * err set on error (a bad key file line is reported as "keys.csv:L:C: ..."). */
wmbus_config *wmbus_config_parse(const cfg_node *section, cfg_err *err);
void wmbus_config_free(wmbus_config *cfg);
#endif
