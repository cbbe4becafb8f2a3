/* wmbus_meters: what the gateway remembers about each radio meter it hears:
 * the configured meter list (looked up by id and manufacturer), the listen
 * cache of unknown meters (MUC500: up to 500, with RSSI; the least recently
 * heard is forgotten when full), duplicate suppression (repeaters and
 * re-sent telegrams), access-number tracking and link quality.
 *
 * No I/O and no clock: times are passed in. */
#ifndef GW_WMBUS_METERS_H
#define GW_WMBUS_METERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "south/wmbus/wmbus_config.h"

#define WMBUS_DEDUP_SLOTS 4

typedef struct wmbus_meter {
    const wmbus_meter_cfg *cfg; /* NULL: a listen-cache entry */
    char name[WMBUS_NAME_MAX];
    uint32_t id_bcd;
    uint16_t manufacturer;
    uint8_t version, device_type;
    /* link quality */
    uint64_t heard;             /* telegrams that decoded (not duplicates) */
    uint64_t missed;            /* access numbers skipped */
    uint64_t duplicates;
    uint64_t wrong_key, no_key, mac_mismatch, undecodable;
    uint64_t rejected;          /* telegrams refused (the four above): anyone can send
                                   a meter's link header, so they move neither heard,
                                   missed, RSSI nor the last-heard time */
    double rssi_dbm, rssi_sum;  /* last, and sum over heard (for the mean) */
    int64_t first_heard_ns, last_heard_ns; /* monotonic */
    bool has_access;
    uint8_t last_access;
    /* duplicate suppression: fingerprints of recent telegrams */
    uint64_t recent[WMBUS_DEDUP_SLOTS];
    int64_t recent_ns[WMBUS_DEDUP_SLOTS];
    unsigned recent_next;
    const char *status;         /* last status published ("ok", "wrong_key", ...) */
    bool dirty;                 /* something changed since the last cycle */
} wmbus_meter;

typedef struct wmbus_meters {
    wmbus_meter *known;         /* one per configured meter, in configuration order */
    size_t n_known;
    wmbus_meter *listen;        /* the listen cache */
    size_t n_listen, listen_cap;
    uint64_t evicted;           /* listen entries forgotten because the cache was full */
    /* hash index over known meters: id_bcd → slot (open addressing) */
    int32_t *index;
    size_t index_cap;
} wmbus_meters;

bool wmbus_meters_init(wmbus_meters *m, const wmbus_module_cfg *cfg);
void wmbus_meters_free(wmbus_meters *m);

/* The configured meter with this id (and manufacturer, unless configured as *). */
wmbus_meter *wmbus_meters_find(wmbus_meters *m, uint32_t id_bcd, uint16_t manufacturer);

/* The listen-cache entry for an unknown meter, created when new (*is_new);
 * when the cache is full the least recently heard entry is replaced and
 * *evicted_name receives its name. NULL only when the cache size is 0. */
wmbus_meter *wmbus_meters_listen(wmbus_meters *m, uint32_t id_bcd, uint16_t manufacturer,
                                 uint8_t version, uint8_t device_type, int64_t now_ns,
                                 bool *is_new, char *evicted_name, size_t cap);

/* A fingerprint of a telegram for duplicate suppression: the bytes from the
 * CI on (repeaters change the link layer, not the message). */
uint64_t wmbus_fingerprint(const uint8_t *frame, size_t len);

/* Has this meter sent the same telegram within window_ns (counted as a duplicate)? */
bool wmbus_meter_seen(wmbus_meter *mt, uint64_t fingerprint, int64_t now_ns, int64_t window_ns);
/* Remember a telegram for duplicate suppression (the oldest of the slots goes). */
void wmbus_meter_remember(wmbus_meter *mt, uint64_t fingerprint, int64_t now_ns);
/* wmbus_meter_seen, and if not, wmbus_meter_remember. */
bool wmbus_meter_is_duplicate(wmbus_meter *mt, uint64_t fingerprint, int64_t now_ns,
                              int64_t window_ns);

/* Count a heard telegram (one that decoded): RSSI and access-number gaps (a jump of k > 1
 * means k - 1 telegrams were not heard). Returns the gap counted. */
unsigned wmbus_meter_heard(wmbus_meter *mt, bool has_access, uint8_t access, double rssi_dbm,
                           int64_t now_ns);

/* Telegrams expected so far: from the configured interval when there is
 * one (since the first telegram, or since since_ns for a meter never
 * heard), else heard + missed. */
uint64_t wmbus_meter_expected(const wmbus_meter *mt, int64_t since_ns, int64_t now_ns);

/* "KAM-12345678" */
void wmbus_meter_label(uint16_t manufacturer, uint32_t id_bcd, char *out, size_t cap);
#endif
