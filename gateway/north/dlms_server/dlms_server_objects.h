/* dlms_server_objects: the COSEM objects the gateway serves, and their
 * attributes as A-XDR (the model of dlms_server_session.h).
 *
 *   the gateway's own ("identity": what every client may read):
 *     0-0:1.0.0.255   clock (8)            1 LN, 2 time (UTC), 3 time zone 0, 4 status 0
 *     0-0:96.1.0.255  device ID (1)        2 device_id
 *     0-0:42.0.0.255  logical device name  2 "GWD" + device_id (at most 16 octets)
 *     0-0:40.0.0.255  association LN (15)  1 LN, 2 object list, 3 partners (client, server)
 *   the meters' ("registers:", "profiles:", the event log; clients that read all):
 *     registers (3) / data (1)             1 LN, 2 value, 3 scaler_unit (registers)
 *     profiles (7) and the event log       1 LN, 2 buffer (range access), 3 capture
 *                                          objects, 4 capture period, 5 sort method,
 *                                          7 entries in use, 8 profile entries
 * Values come from the datahub (the latest of each point), profile buffers
 * and the event log from the store (store/store_range.h). */
#ifndef DLMS_SERVER_OBJECTS_H
#define DLMS_SERVER_OBJECTS_H
#include <stdbool.h>
#include <stdint.h>

#include "core/datahub.h"
#include "codec/dlms/dlms_apdu.h"
#include "north/dlms_server/dlms_server_config.h"
#include "store/store.h"

typedef struct dlms_srv_objects {
    const dlms_server_config *cfg;
    const datahub *hub;
    gw_store *store;  /* NULL: profiles and the event log are empty */
    uint8_t client;   /* the association's client (attribute 3 of the association) */
} dlms_srv_objects;

uint8_t dlms_srv_objects_get(void *objects, const cosem_ref *ref, const dlms_access *acc,
                             bool identity_only, axdr_writer *w);

/* A register's logical name (configured, or its DLMS point's own); false when
 * neither is known yet. */
bool dlms_srv_register_obis(const dlms_srv_objects *o, const dlms_srv_register *r, uint8_t obis[6]);
/* Its scaler and unit as served; false when the point was never published and
 * the configuration names neither. */
bool dlms_srv_register_scaler(const dlms_srv_objects *o, const dlms_srv_register *r, int8_t *scaler,
                              uint8_t *unit);
const dlms_srv_register *dlms_srv_register_by_obis(const dlms_srv_objects *o, const uint8_t obis[6]);
/* A number as a register's raw value at scaler: an integer when value is one
 * at that scaler, else a float64. */
void dlms_srv_put_scaled(axdr_writer *w, double value, int8_t scaler);

/* dlms_server_profile.c: class 7 objects (profiles and the event log). */
bool dlms_srv_is_profile(const dlms_srv_objects *o, const uint8_t obis[6]);
uint8_t dlms_srv_profile_get(const dlms_srv_objects *o, const cosem_ref *ref, const dlms_access *acc,
                             axdr_writer *w);
/* The event code the event log stores for a kind of event (docs/dlms.md). */
uint16_t dlms_srv_event_code(const char *kind);
#endif
