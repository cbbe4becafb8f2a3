/* datahub: every value the gateway knows, as data points, with publish/subscribe.
 *
 * South drivers publish points, meter descriptions, events and the end of their
 * readout cycles; the store, reports and north servers subscribe. Neither side
 * knows the other. Strings passed in are copied; pointers handed to subscribers
 * are valid only during the callback. */
#ifndef GW_DATAHUB_H
#define GW_DATAHUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { DP_NONE, DP_BOOL, DP_INT, DP_DOUBLE, DP_STRING, DP_BYTES } dp_type;

/* Quality bits (the IEC 60870-5-101/104 quality descriptor's meaning). 0 = good. */
enum {
    DPQ_INVALID = 1u << 0,
    DPQ_NOT_TOPICAL = 1u << 1,
    DPQ_SUBSTITUTED = 1u << 2,
    DPQ_OVERFLOW = 1u << 3,
    DPQ_BLOCKED = 1u << 4,
};

typedef struct dp_value {
    dp_type type;
    bool b;
    int64_t i;
    double d;
    const char *s;        /* DP_STRING (ISO dates are strings too) */
    const uint8_t *bytes; /* DP_BYTES */
    size_t len;
} dp_value;

/* The protocol a point was read with; its address (below) is in that protocol's terms. */
typedef enum {
    DP_PROTO_NONE,   /* the gateway's own points (link counters, radio state, ...): no address */
    DP_PROTO_MBUS,   /* wired M-Bus (EN 13757-2/-3) */
    DP_PROTO_WMBUS,  /* wireless M-Bus (EN 13757-4, records as EN 13757-3) */
    DP_PROTO_DLMS,   /* DLMS/COSEM (IEC 62056) */
    DP_PROTO_MODBUS, /* Modbus client */
} dp_protocol;

/* Where a point comes from: the meter, the protocol and the address within the
 * meter in that protocol's own terms, and what it measures. No member belongs to
 * one protocol: the address text is written and read by core/dp_address.h
 * (M-Bus "DIF 04 VIF 13 storage 0 tariff 0 subunit 0", DLMS "1-0:1.8.0.255 class
 * 3 attr 2", Modbus "holding 40 u32"). */
typedef struct dp_origin {
    const char *meter;    /* meter name from the configuration */
    int record;           /* index of the record in the meter's readout, -1 if none */
    dp_protocol protocol;
    const char *address;  /* see core/dp_address.h; NULL when protocol is DP_PROTO_NONE */
    const char *quantity; /* "energy", "volume", "voltage", ... (report DESCRIPTION) */
    const char *function; /* "instantaneous", "maximum", "minimum", "error" */
    int64_t raw_int;      /* value as transmitted when integral, and its power of ten: */
    int scale_exp;        /* value = raw_int * 10^scale_exp (reports: Value/Scale columns) */
    bool has_raw;
    int64_t meter_ts_ns;  /* time stamp transmitted by the meter for this value, 0 if none */
} dp_origin;

typedef struct dp {
    const char *id; /* "<meter>/<record index>", e.g. "heat1/3" */
    dp_value value;
    const char *unit; /* base unit: "Wh", "m3", "C", ... or "" */
    int64_t ts_ns;    /* wall time the gateway received it */
    unsigned quality;
    dp_origin origin;
} dp;

/* A meter as the drivers know it (for the store's meter table and reports). */
typedef struct dh_meter {
    const char *name;         /* configured name, unique */
    const char *interface;    /* "mbus", "wmbus", "dlms", "modbus" */
    int primary_address;      /* -1 when not used */
    const char *secondary;    /* 16 hex chars id+man+ver+medium, or NULL */
    const char *serial;       /* 8 digits */
    const char *manufacturer; /* 3 letters */
    int version;
    int medium;               /* EN 13757-3 device type code */
    const char *medium_name;  /* "heat", "water", ... */
    const char *status;       /* "ok", "not_read", "error" */
    int64_t last_read_ns;     /* wall time of the last good readout, 0 never */
} dh_meter;

/* Something that happened (log-worthy and stored): meter not read, telegram
 * rejected, collision, ... `bytes` carries the offending telegram if any. */
typedef struct dh_event {
    const char *source;  /* "mbus:bus1", "report", ... */
    const char *kind;    /* "rejected", "not_read", "retry", "info", ... */
    const char *meter;   /* may be NULL */
    const char *text;
    const uint8_t *bytes;
    size_t len;
    int64_t ts_ns;
} dh_event;

/* A command from a north server (an IEC 104 master's single/double command) to
 * whoever owns the target point. Commands flow back through the hub so north
 * never knows the drivers. */
typedef struct dh_command {
    const char *point;  /* target data point id (from the server's mapping) */
    dp_value value;     /* DP_BOOL (single command) or DP_INT (double command state 1/2) */
    const char *source; /* "iec104", ... */
    int64_t ts_ns;      /* wall time of execution */
} dh_command;

typedef enum { DH_POINT, DH_METER, DH_EVENT, DH_CYCLE_END, DH_COMMAND } dh_kind;

typedef struct dh_update {
    dh_kind kind;
    const dp *point;        /* DH_POINT */
    const dh_meter *meter;  /* DH_METER */
    const dh_event *event;  /* DH_EVENT */
    const char *source;     /* DH_CYCLE_END: driver that finished a readout cycle */
    int64_t ts_ns;          /* DH_CYCLE_END */
    const dh_command *command; /* DH_COMMAND */
} dh_update;

typedef void (*dh_subscriber)(const dh_update *update, void *arg);

typedef struct datahub datahub;

datahub *datahub_new(void);
void datahub_free(datahub *hub);
/* Returns a subscription id (>= 0), or -1. */
int datahub_subscribe(datahub *hub, dh_subscriber fn, void *arg);
/* Stop calling a subscriber (e.g. before freeing what arg points to). */
void datahub_unsubscribe(datahub *hub, int id);

/* Publish: the hub keeps a copy of the latest state and calls every subscriber,
 * synchronously, in subscription order. The update a subscriber gets points at
 * the hub's copy; a subscriber must not republish that same id from its callback. */
void datahub_publish(datahub *hub, const dp *point);
void datahub_meter(datahub *hub, const dh_meter *meter);
void datahub_event(datahub *hub, const dh_event *event);
void datahub_cycle_end(datahub *hub, const char *source, int64_t ts_ns);
/* Hand a command to every subscriber (DH_COMMAND); the hub keeps no state for it. */
void datahub_command(datahub *hub, const dh_command *cmd);
/* Mark every point of a meter (origin.meter == meter) with quality bits (OR-ed in,
 * e.g. not read → NOT_TOPICAL|INVALID), keeping their values, and republish them
 * in first-publish order; ts_ns (if not 0) becomes their time stamp. */
void datahub_set_meter_quality(datahub *hub, const char *meter, unsigned quality, int64_t ts_ns);

/* Latest state. Returned pointers stay valid until the next publish of the same id/name. */
const dp *datahub_get(const datahub *hub, const char *id);
const dh_meter *datahub_get_meter(const datahub *hub, const char *name);
size_t datahub_count(const datahub *hub);
const dp *datahub_at(const datahub *hub, size_t index);          /* in first-publish order */
size_t datahub_meter_count(const datahub *hub);
const dh_meter *datahub_meter_at(const datahub *hub, size_t index); /* in first-publish order */

/* Write every point and meter as one JSON document (used by the bench's expectations):
 * {"points":[{"id","meter","record","quantity","unit","value","quality","ts_ns","storage",
 *   "tariff","subunit","function","dif","vif"[,"protocol","address"]}...],
 *  "meters":[{"name","interface","primary_address","secondary","serial","manufacturer",
 *   "version","medium","medium_name","status","last_read_ns"}...]},
 * value: number (doubles %.17g), string (DP_STRING), hex string (DP_BYTES), true/false,
 * null (DP_NONE); absent strings are null. storage ... vif come from an M-Bus or wM-Bus
 * origin address (0 and null otherwise); DLMS points add their protocol and address.
 * Written to path.tmp, then renamed. Returns 0, or -1 (logged). */
int datahub_dump_json(const datahub *hub, const char *path);
#endif
