/* modbus_server internals shared by its files (config, map, request, I/O). */
#ifndef GW_MODBUS_SERVER_INT_H
#define GW_MODBUS_SERVER_INT_H
#include <stdint.h>
#include "codec/modbus/modbus_adu.h"
#include "codec/modbus/modbus_value.h"
#include "north/modbus/modbus_server.h"
#include "north/modbus/modbus_server_image.h"
#include "north/modbus/modbus_server_muc500.h"

typedef enum { MBS_INVALID_KEEP, MBS_INVALID_MARK } mbs_invalid;

typedef struct mbs_mapping {
    const char *point;  /* data point id (owned by the configuration tree) */
    int unit;           /* MBS_ANY_UNIT, or the unit id in multi-slave mode */
    mbs_bank bank;
    uint16_t address;
    mbv_format format;
    mbv_order order;
    double scale;       /* register value = point value * scale */
    mbs_invalid invalid;
} mbs_mapping;

typedef struct mbs_layout_meter {
    const char *name;
    long long values;   /* value entries reserved */
} mbs_layout_meter;

struct modbus_server_config {
    /* TCP */
    bool tcp;
    const char *bind;
    long long port, max_connections;
    int64_t idle_timeout_ns;  /* no complete request this long: closed (0: never) */
    bool drop_idlest;         /* full: close the least recently active, not the oldest (MUC500) */
    /* RTU */
    const char *rtu_device;
    long long rtu_baud, rtu_stop_bits, rtu_unit;
    char rtu_parity;          /* 'N', 'E', 'O' */
    /* addressing */
    int unit_id;              /* TCP: MBS_ANY_UNIT or the only unit answered */
    /* MUC500 layout */
    bool layout;
    muc_layout muc;
    long long layout_start;
    mbs_layout_meter *layout_meters;
    size_t n_layout_meters;
    /* device identification (FC 0x2B / MEI 0x0E) */
    const char *vendor, *product_code, *revision, *vendor_url, *product_name, *model, *application;
    /* mapping groups, flattened, sorted by point id */
    mbs_mapping *mappings;
    size_t n_mappings;
};

/* The image with the datahub's current state written in (modbus_server_map.c). */
typedef struct mbs_state {
    const modbus_server_config *cfg;
    datahub *hub;
    mbs_image img;
    bool layout_dirty;
} mbs_state;

/* Write every mapping and the layout from the hub's state. */
void mbs_map_rebuild(mbs_state *st);
/* One update of the hub (points → mappings; meters/cycle ends → layout). */
void mbs_map_update(mbs_state *st, const dh_update *u);
/* Refresh the device entry's clock (the layout's registers 4-5) before a read. */
void mbs_map_refresh_clock(mbs_state *st, int64_t wall_ns);

/* What to answer one request PDU for `unit` (pure: the I/O side sends it
 * through libmodbus). */
typedef enum { MBS_REPLY_NONE, MBS_REPLY_READ, MBS_REPLY_EXCEPTION, MBS_REPLY_DEVICE_ID } mbs_reply_kind;
typedef struct mbs_decision {
    mbs_reply_kind kind;
    mb_read_req req;        /* READ: the request; items hold the values (bits as 0/1) */
    int exception;          /* EXCEPTION: the code */
    uint16_t items[MB_MAX_READ_BITS];
    uint8_t pdu[256];       /* DEVICE_ID: the response PDU */
    size_t pdu_len;
} mbs_decision;
void mbs_decide(const mbs_state *st, int unit, bool tcp, const uint8_t *pdu, size_t len,
                mbs_decision *out);
#endif
