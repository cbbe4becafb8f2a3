/* dlms_config: the `dlms:` section of the gateway configuration (DLMS/COSEM
 * client), validated with file:line:col errors. See docs/configuration.md and
 * docs/dlms.md. Defaults follow the CU-XE (polling groups 86400/10/1 s,
 * reconnect delay 60 s, clock sync offset 2 s) and the SX5D1 downlink
 * (80-byte packets, 3 retries, 10 s timeout, 2 s silent window). */
#ifndef DLMS_CONFIG_H
#define DLMS_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_cipher.h"

#define DLMS_NAME_MAX 64

typedef enum { DLMS_GROUP_SLOW, DLMS_GROUP_NORMAL, DLMS_GROUP_FAST, DLMS_GROUPS } dlms_group;
typedef enum { DLMS_OBJ_REGISTER, DLMS_OBJ_EXT_REGISTER, DLMS_OBJ_DATA, DLMS_OBJ_CLOCK,
               DLMS_OBJ_PROFILE, DLMS_OBJ_DISCONNECT } dlms_obj_kind;
typedef enum { DLMS_TR_UDP, DLMS_TR_TCP, DLMS_TR_HDLC } dlms_transport;

typedef struct dlms_object_cfg {
    char *name;           /* data point name under the meter */
    dlms_obj_kind kind;
    uint16_t class_id;
    uint8_t obis[6];
    dlms_group group;
    int64_t days;         /* profiles: first read reaches back this far (ns) */
} dlms_object_cfg;

typedef struct dlms_meter_cfg {
    char *name;
    uint16_t port;        /* UDP/TCP: the meter's port */
    uint16_t local_port;  /* UDP: the gateway's port for this meter */
    uint8_t client;       /* client SAP / wPort (16 = public client) */
    uint16_t logical, physical; /* server logical device / HDLC physical address */
    uint8_t addr_size;    /* HDLC server address bytes: 1, 2, 4 (0 = the smallest that fits) */
    dlms_auth auth;
    char *password;       /* LLS */
    dlms_keys keys;       /* HLS suite 0 */
    uint8_t systitle[8];  /* the gateway's system title */
    bool clock_sync;
    size_t n_objects;     /* shared with the network's list (not owned) */
    dlms_object_cfg *objects;
} dlms_meter_cfg;

typedef struct dlms_network_cfg {
    char *name;
    dlms_transport transport;
    char *host;           /* UDP/TCP */
    char *device;         /* HDLC: the serial port */
    long baud;
    size_t max_bytes;     /* largest packet (UDP payload, or HDLC information field) */
    int retries;
    int64_t timeout_ns, silent_ns, reconnect_delay_ns;
    int max_parallel;     /* meters read at the same time (1 on a serial line) */
    size_t n_meters;
    dlms_meter_cfg *meters;
    size_t n_object_sets;
    dlms_object_cfg **object_sets; /* owned lists, one per meter entry */
    size_t *object_set_len;
} dlms_network_cfg;

typedef struct dlms_config {
    int64_t group_ns[DLMS_GROUPS];
    int64_t clock_threshold_ns, clock_interval_ns;
    size_t n_networks;
    dlms_network_cfg *networks;
} dlms_config;

/* Parse `dlms:` (NULL = no DLMS: empty config). NULL with err set on error. */
dlms_config *dlms_config_parse(const cfg_node *section, cfg_err *err);
void dlms_config_free(dlms_config *cfg);
const char *dlms_group_name(dlms_group g);
#endif
