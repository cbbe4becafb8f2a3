/* mbus_publish: turn a wired M-Bus readout into datahub points, meter
 * descriptions and events.
 *
 * Value types: numbers are DP_DOUBLE (scaled to the base unit, with raw_int and
 * scale_exp in the origin), dates and plain text are DP_STRING (ISO 8601 for
 * dates), binary and manufacturer data are DP_STRING holding the hex text the
 * codec renders, records without data are DP_NONE. */
#ifndef GW_MBUS_PUBLISH_H
#define GW_MBUS_PUBLISH_H
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"
#include "codec/mbus/mbus_app.h"
#include "south/mbus/mbus_config.h"

/* The meter's own clock: the first date-time record of storage 0
 * ("YYYY-MM-DDTHH:MM[:SS]", taken as UTC), in ns since the epoch; 0 if none. */
int64_t mbus_meter_time_ns(const mbus_record *recs, size_t n);

/* Publish records as points "<meter>/<index>", index = position in recs, with their
 * DIF/VIF, storage, tariff and subunit as the origin's address (core/dp_address.h). */
void mbus_publish_records(datahub *hub, const char *meter, const mbus_record *recs, size_t n,
                          int64_t wall_ns);
/* The same for records that came by another protocol (DP_PROTO_WMBUS). */
void mbus_publish_records_for(datahub *hub, dp_protocol protocol, const char *meter,
                              const mbus_record *recs, size_t n, int64_t wall_ns);

/* Publish the meter as read now (status "ok"), described by the telegram header. */
void mbus_publish_meter_ok(datahub *hub, const mbus_meter_cfg *meter, const mbus_header *hdr,
                           int64_t wall_ns);

/* Status "not_read": meter kept as last known, its points marked invalid and
 * not topical, and a "not_read" event saying why. */
void mbus_publish_not_read(datahub *hub, const char *source, const mbus_meter_cfg *meter,
                           const char *why, int64_t wall_ns);

/* A "rejected" event with the offending bytes and the reason. */
void mbus_publish_rejected(datahub *hub, const char *source, const char *meter,
                           const char *why, const uint8_t *bytes, size_t len, int64_t wall_ns);

/* A counter point "<segment>/<what>" (DP_INT). */
void mbus_publish_counter(datahub *hub, const char *segment, const char *what, uint64_t value,
                          int64_t wall_ns);
#endif
