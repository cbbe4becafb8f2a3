/* dlms_server_config: the `dlms_server:` section (the gateway as a DLMS/COSEM
 * server toward a head-end), validated with file:line:col errors. See
 * docs/dlms.md "DLMS server" and docs/configuration.md. */
#ifndef DLMS_SERVER_CONFIG_H
#define DLMS_SERVER_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_cipher.h"

#define DLMS_SRV_MAX_CLIENTS 8
#define DLMS_SRV_MAX_COLUMNS 8

/* An association the server accepts: by the client's SAP (wPort). */
typedef struct dlms_srv_client {
    uint8_t sap;
    dlms_auth auth;
    char password[DLMS_MAX_SECRET + 1]; /* lls */
    dlms_keys keys;                     /* hls: ek, ak */
    bool reads_all;                     /* false: only the gateway's own objects */
} dlms_srv_client;

typedef enum { DLMS_SRV_REGISTER, DLMS_SRV_DATA } dlms_srv_kind;

/* A data point served as a COSEM object (class 3 register or class 1 data). */
typedef struct dlms_srv_register {
    char *point;
    dlms_srv_kind kind;
    bool has_obis;      /* false: the point's own logical name (a DLMS point) */
    uint8_t obis[6];
    bool has_scaler;    /* false: the point's own scaler (as read), else 0 */
    int8_t scaler;
    bool has_unit;      /* false: the point's unit */
    uint8_t unit;
} dlms_srv_register;

typedef struct dlms_srv_column {
    char *point;        /* the stored samples of this point */
    bool has_register;  /* captured as the value of this register (its scaler and unit) */
    uint8_t obis[6];    /* the register's, or the data object's logical name */
} dlms_srv_column;

/* A profile generic (class 7) whose buffer the store holds. */
typedef struct dlms_srv_profile {
    uint8_t obis[6];
    int64_t period_ns;
    dlms_srv_column cols[DLMS_SRV_MAX_COLUMNS];
    size_t n_cols;
} dlms_srv_profile;

typedef struct dlms_server_config {
    bool tcp;                  /* the wrapper on TCP */
    char *bind;
    long long port;
    char *hdlc_device;         /* HDLC on a serial port (NULL: none) */
    long long hdlc_baud;
    uint16_t hdlc_physical;    /* the server's lower HDLC address */
    size_t hdlc_max_info;      /* largest information field it proposes */
    long long max_connections;
    int64_t idle_timeout_ns;
    uint16_t logical;          /* the server's logical device (wPort) */
    uint16_t max_pdu;          /* proposed in the AARE; longer requests are refused */
    uint8_t systitle[DLMS_SYSTITLE_LEN];
    char *device_id;           /* 0-0:96.1.0.255; default: the gateway's name */
    size_t max_entries;        /* profile entries in one answer */
    dlms_srv_client clients[DLMS_SRV_MAX_CLIENTS];
    size_t n_clients;
    dlms_srv_register *regs;
    size_t n_regs;
    dlms_srv_profile *profiles;
    size_t n_profiles;
    bool event_log;
    uint8_t event_obis[6];
} dlms_server_config;

/* NULL section: *out = NULL (no server). false with err on error. */
bool dlms_server_config_parse(const cfg_node *section, const char *gateway_name,
                              dlms_server_config **out, cfg_err *err);
void dlms_server_config_free(dlms_server_config *c);
/* The client with this SAP, NULL when none is configured. */
const dlms_srv_client *dlms_server_client(const dlms_server_config *c, uint8_t sap);
#endif
