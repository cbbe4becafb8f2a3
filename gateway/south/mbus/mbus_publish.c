/* mbus_publish: M-Bus records and meters → datahub. */
#include "south/mbus/mbus_publish.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/dp_address.h"

int64_t mbus_meter_time_ns(const mbus_record *recs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const mbus_record *r = &recs[i];
        if (r->kind != MBUS_VAL_DATE || r->storage != 0 || !strchr(r->text, 'T'))
            continue;
        struct tm tm = {0};
        int sec = 0;
        if (sscanf(r->text, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &sec) < 5)
            continue;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        tm.tm_sec = sec;
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
            continue;
        return (int64_t)t * NS_PER_S;
    }
    return 0;
}

/* "04", "84 00": bytes as upper-case hex separated by spaces. */
static void hex_text(const uint8_t *bytes, size_t n, char *out, size_t cap) {
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && pos + 4 <= cap; i++)
        pos += (size_t)snprintf(out + pos, cap - pos, i ? " %02X" : "%02X", bytes[i]);
}

static dp_value record_value(const mbus_record *r) {
    dp_value v = {.type = DP_NONE};
    switch (r->kind) {
    case MBUS_VAL_NUMBER:
        v.type = DP_DOUBLE;
        v.d = r->value;
        break;
    case MBUS_VAL_DATE:
    case MBUS_VAL_STRING:
    case MBUS_VAL_BYTES:
        v.type = DP_STRING;
        v.s = r->text;
        break;
    case MBUS_VAL_NONE:
        break;
    }
    return v;
}

static void publish_record(datahub *hub, dp_protocol protocol, const char *meter, int index,
                           const mbus_record *r, int64_t wall_ns, int64_t meter_ts_ns) {
    char id[MBUS_NAME_MAX + 16], address[DP_ADDRESS_MAX];
    dp_mbus_address a = {.storage = (int)r->storage, .tariff = (int)r->tariff, .subunit = (int)r->subunit};
    snprintf(id, sizeof id, "%s/%d", meter, index);
    hex_text(r->dif, r->n_dif, a.dif_hex, sizeof a.dif_hex);
    hex_text(r->vif, r->n_vif, a.vif_hex, sizeof a.vif_hex);
    dp_mbus_address_format(&a, address, sizeof address);
    dp point = {
        .id = id,
        .value = record_value(r),
        .unit = r->unit ? r->unit : "",
        .ts_ns = wall_ns,
        .quality = 0,
        .origin =
            {
                .meter = meter,
                .record = index,
                .protocol = protocol,
                .address = address,
                /* A plain-text VIF names the quantity itself. */
                .quantity = r->vif_text[0] ? r->vif_text : (r->quantity ? r->quantity : ""),
                .function = mbus_function_name(r->function),
                .raw_int = r->raw_int,
                .scale_exp = r->scale_exp,
                .has_raw = r->has_raw,
                .meter_ts_ns = meter_ts_ns,
            },
    };
    datahub_publish(hub, &point);
}

void mbus_publish_records_for(datahub *hub, dp_protocol protocol, const char *meter,
                              const mbus_record *recs, size_t n, int64_t wall_ns) {
    int64_t meter_ts_ns = mbus_meter_time_ns(recs, n);
    for (size_t i = 0; i < n; i++)
        publish_record(hub, protocol, meter, (int)i, &recs[i], wall_ns, meter_ts_ns);
}

void mbus_publish_records(datahub *hub, const char *meter, const mbus_record *recs, size_t n,
                          int64_t wall_ns) {
    mbus_publish_records_for(hub, DP_PROTO_MBUS, meter, recs, n, wall_ns);
}

void mbus_publish_meter_ok(datahub *hub, const mbus_meter_cfg *meter, const mbus_header *hdr,
                           int64_t wall_ns) {
    char secondary[17] = "", man[4] = "";
    const char *serial = NULL;
    dh_meter m = {
        .name = meter->name,
        .interface = "mbus",
        .primary_address = meter->primary,
        .status = "ok",
        .last_read_ns = wall_ns,
    };
    if (hdr->present && hdr->is_long) {
        /* The address the meter really has, not the (wildcard) pattern we selected. */
        mbus_secondary sa = {hdr->id_bcd, hdr->manufacturer, hdr->version, hdr->medium};
        mbus_secondary_format(&sa, secondary);
        memcpy(man, hdr->man, sizeof man - 1);
        serial = hdr->id;
        m.version = hdr->version;
        m.medium = hdr->medium;
        m.medium_name = mbus_medium_name(hdr->medium);
    } else if (meter->has_secondary) {
        mbus_secondary_format(&meter->secondary, secondary);
    }
    m.secondary = secondary[0] ? secondary : NULL;
    m.serial = serial;
    m.manufacturer = man[0] ? man : NULL;
    datahub_meter(hub, &m);
}

/* Copy of a string the hub owns (it may be freed by the next publish). */
static const char *keep(char *buf, size_t cap, const char *s) {
    if (!s)
        return NULL;
    snprintf(buf, cap, "%s", s);
    return buf;
}

void mbus_publish_not_read(datahub *hub, const char *source, const mbus_meter_cfg *meter,
                           const char *why, int64_t wall_ns) {
    char mask[MBUS_SECONDARY_TEXT] = "", secondary[17], serial[16], man[8], medium_name[32];
    if (meter->has_secondary)
        mbus_secondary_format(&meter->secondary, mask);
    dh_meter m = {.name = meter->name,
                  .interface = "mbus",
                  .primary_address = meter->primary,
                  .secondary = meter->has_secondary ? mask : NULL};
    const dh_meter *old = datahub_get_meter(hub, meter->name);
    if (old) {
        m.secondary = keep(secondary, sizeof secondary, old->secondary);
        m.serial = keep(serial, sizeof serial, old->serial);
        m.manufacturer = keep(man, sizeof man, old->manufacturer);
        m.medium_name = keep(medium_name, sizeof medium_name, old->medium_name);
        m.version = old->version;
        m.medium = old->medium;
        m.last_read_ns = old->last_read_ns;
    }
    m.status = "not_read";
    datahub_meter(hub, &m);
    datahub_set_meter_quality(hub, meter->name, DPQ_INVALID | DPQ_NOT_TOPICAL, wall_ns);
    dh_event ev = {.source = source, .kind = "not_read", .meter = meter->name, .text = why,
                   .ts_ns = wall_ns};
    datahub_event(hub, &ev);
}

void mbus_publish_rejected(datahub *hub, const char *source, const char *meter,
                           const char *why, const uint8_t *bytes, size_t len, int64_t wall_ns) {
    dh_event ev = {.source = source, .kind = "rejected", .meter = meter, .text = why,
                   .bytes = bytes, .len = len, .ts_ns = wall_ns};
    datahub_event(hub, &ev);
}

void mbus_publish_counter(datahub *hub, const char *segment, const char *what, uint64_t value,
                          int64_t wall_ns) {
    char id[MBUS_NAME_MAX + 32];
    snprintf(id, sizeof id, "%s/%s", segment, what);
    dp point = {.id = id,
                .value = {.type = DP_INT, .i = (int64_t)value},
                .unit = "",
                .ts_ns = wall_ns,
                .origin = {.record = -1}};
    datahub_publish(hub, &point);
}
