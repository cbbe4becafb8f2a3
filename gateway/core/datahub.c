/* datahub: latest state of every point and meter, and synchronous fan-out.
 *
 * Points and meters are kept in first-publish order (reports and dumps are
 * then deterministic) and found by name through an open-addressing hash index,
 * so lookups stay O(1) with 100k points. Each entry owns a deep copy: its
 * name is allocated once, the other strings of the latest version live in one
 * buffer that is replaced on every publish (one allocation per publish). */
#include "core/datahub.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/strhash.h"

typedef struct name_index {
    size_t *slots; /* entry index + 1; 0 = empty */
    size_t cap;    /* power of two */
} name_index;

typedef struct point_entry {
    dp point;
    char *id;
    char *strings;
    size_t strings_cap; /* reused by the next publish when its strings fit */
} point_entry;

typedef struct meter_entry {
    dh_meter meter;
    char *name;
    char *strings;
} meter_entry;

typedef struct subscriber {
    dh_subscriber fn;
    void *arg;
} subscriber;

struct datahub {
    point_entry **points;
    size_t n_points, cap_points;
    name_index point_index;

    meter_entry **meters;
    size_t n_meters, cap_meters;
    name_index meter_index;

    subscriber *subs;
    size_t n_subs, cap_subs;
};

/* ---- name index ---- */

typedef const char *(*name_of_fn)(const datahub *hub, size_t index);

static const char *point_name(const datahub *hub, size_t i) {
    return hub->points[i]->id;
}

static const char *meter_name(const datahub *hub, size_t i) {
    return hub->meters[i]->name;
}

/* Slot where name is, or the empty slot where it would go. */
static size_t index_slot(const datahub *hub, const name_index *ix, name_of_fn name_of,
                         const char *name) {
    size_t mask = ix->cap - 1, j = strhash(name) & mask;
    while (ix->slots[j] && strcmp(name_of(hub, ix->slots[j] - 1), name) != 0)
        j = (j + 1) & mask;
    return j;
}

static long index_find(const datahub *hub, const name_index *ix, name_of_fn name_of,
                       const char *name) {
    if (!ix->cap || !name)
        return -1;
    size_t j = index_slot(hub, ix, name_of, name);
    return ix->slots[j] ? (long)(ix->slots[j] - 1) : -1;
}

/* Make room for count entries at a load factor of at most 1/2. */
static bool index_reserve(const datahub *hub, name_index *ix, name_of_fn name_of, size_t count) {
    if ((count + 1) * 2 <= ix->cap)
        return true;
    size_t cap = ix->cap ? ix->cap * 2 : 64;
    while ((count + 1) * 2 > cap)
        cap *= 2;
    name_index grown = {calloc(cap, sizeof(size_t)), cap};
    if (!grown.slots)
        return false;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i])
            grown.slots[index_slot(hub, &grown, name_of, name_of(hub, ix->slots[i] - 1))] =
                ix->slots[i];
    free(ix->slots);
    *ix = grown;
    return true;
}

static bool grow_array(void **array, size_t *cap, size_t elem) {
    size_t c = *cap ? *cap * 2 : 64;
    void *grown = realloc(*array, c * elem);
    if (!grown)
        return false;
    *array = grown;
    *cap = c;
    return true;
}

/* ---- deep copies ---- */

typedef struct packer {
    char *buf;
    size_t used;
} packer;

static size_t str_size(const char *s) {
    return s ? strlen(s) + 1 : 0;
}

static const char *pack_str(packer *p, const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *dst = p->buf + p->used;
    memcpy(dst, s, n);
    p->used += n;
    return dst;
}

static size_t point_strings_size(const dp *src) {
    const dp_origin *o = &src->origin;
    size_t bytes = src->value.type == DP_BYTES && src->value.bytes ? src->value.len : 0;
    return 1 + bytes + str_size(src->unit) + str_size(o->meter) + str_size(o->quantity) +
           str_size(o->address) + str_size(o->function) +
           (src->value.type == DP_STRING ? str_size(src->value.s) : 0);
}

/* Copy src's strings into buf (size bytes at least); *copy gets pointers into it. */
static void copy_point(const dp *src, dp *copy, char *buf) {
    const dp_origin *o = &src->origin;
    size_t bytes = src->value.type == DP_BYTES && src->value.bytes ? src->value.len : 0;
    packer p = {buf, 0};
    *copy = *src;
    copy->value.s = NULL;
    copy->value.bytes = NULL;
    if (src->value.type == DP_BYTES) {
        memcpy(p.buf, src->value.bytes ? src->value.bytes : (const uint8_t *)"", bytes);
        copy->value.bytes = (const uint8_t *)p.buf;
        copy->value.len = bytes;
        p.used = bytes;
    } else if (src->value.type == DP_STRING) {
        copy->value.s = pack_str(&p, src->value.s ? src->value.s : "");
    }
    copy->unit = pack_str(&p, src->unit);
    copy->origin.meter = pack_str(&p, o->meter);
    copy->origin.quantity = pack_str(&p, o->quantity);
    copy->origin.address = pack_str(&p, o->address);
    copy->origin.function = pack_str(&p, o->function);
}

static char *copy_meter(const dh_meter *src, dh_meter *copy) {
    size_t size = 1 + str_size(src->interface) + str_size(src->secondary) + str_size(src->serial) +
                  str_size(src->manufacturer) + str_size(src->medium_name) + str_size(src->status);
    packer p = {malloc(size), 0};
    if (!p.buf)
        return NULL;
    *copy = *src;
    copy->interface = pack_str(&p, src->interface);
    copy->secondary = pack_str(&p, src->secondary);
    copy->serial = pack_str(&p, src->serial);
    copy->manufacturer = pack_str(&p, src->manufacturer);
    copy->medium_name = pack_str(&p, src->medium_name);
    copy->status = pack_str(&p, src->status);
    return p.buf;
}

/* ---- hub ---- */

datahub *datahub_new(void) {
    return calloc(1, sizeof(datahub));
}

void datahub_free(datahub *hub) {
    if (!hub)
        return;
    for (size_t i = 0; i < hub->n_points; i++) {
        free(hub->points[i]->id);
        free(hub->points[i]->strings);
        free(hub->points[i]);
    }
    for (size_t i = 0; i < hub->n_meters; i++) {
        free(hub->meters[i]->name);
        free(hub->meters[i]->strings);
        free(hub->meters[i]);
    }
    free(hub->points);
    free(hub->meters);
    free(hub->point_index.slots);
    free(hub->meter_index.slots);
    free(hub->subs);
    free(hub);
}

int datahub_subscribe(datahub *hub, dh_subscriber fn, void *arg) {
    if (!hub || !fn)
        return -1;
    if (hub->n_subs == hub->cap_subs &&
        !grow_array((void **)&hub->subs, &hub->cap_subs, sizeof *hub->subs))
        return -1;
    hub->subs[hub->n_subs] = (subscriber){fn, arg};
    return (int)hub->n_subs++;
}

/* Ids stay stable: an unsubscribed slot is only emptied. */
void datahub_unsubscribe(datahub *hub, int id) {
    if (hub && id >= 0 && (size_t)id < hub->n_subs)
        hub->subs[id].fn = NULL;
}

/* Subscribers run in subscription order. Indexing (not a saved pointer) keeps
 * this safe when a callback subscribes or unsubscribes someone. */
static void notify(datahub *hub, const dh_update *update) {
    for (size_t i = 0; i < hub->n_subs; i++)
        if (hub->subs[i].fn)
            hub->subs[i].fn(update, hub->subs[i].arg);
}

static point_entry *new_point_entry(datahub *hub, const char *id) {
    if (hub->n_points == hub->cap_points &&
        !grow_array((void **)&hub->points, &hub->cap_points, sizeof *hub->points))
        return NULL;
    if (!index_reserve(hub, &hub->point_index, point_name, hub->n_points + 1))
        return NULL;
    point_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->id = strdup(id))) {
        free(e);
        return NULL;
    }
    hub->points[hub->n_points] = e;
    size_t slot = index_slot(hub, &hub->point_index, point_name, id);
    hub->point_index.slots[slot] = ++hub->n_points;
    return e;
}

/* Store a copy of point as the latest state of its id; NULL on failure. */
static bool within(const void *p, const char *buf, size_t cap) {
    uintptr_t c = (uintptr_t)p, b = (uintptr_t)buf;
    return p && buf && c >= b && c < b + cap;
}

static bool strings_within(const dp *src, const char *buf, size_t cap) {
    const dp_origin *o = &src->origin;
    const void *v = src->value.type == DP_BYTES    ? (const void *)src->value.bytes
                    : src->value.type == DP_STRING ? (const void *)src->value.s
                                                   : NULL;
    return within(v, buf, cap) || within(src->unit, buf, cap) || within(o->meter, buf, cap) ||
           within(o->quantity, buf, cap) || within(o->address, buf, cap) ||
           within(o->function, buf, cap);
}

static const dp *store_point(datahub *hub, const dp *point) {
    long at = index_find(hub, &hub->point_index, point_name, point->id);
    point_entry *e = at >= 0 ? hub->points[at] : new_point_entry(hub, point->id);
    if (!e)
        return NULL;
    /* Most publishes update a value with the same strings: they are packed into the
     * entry's buffer again, without an allocation. Not when the point's strings
     * lie in that buffer (a republished stored point): they are copied first. */
    size_t size = point_strings_size(point);
    char *buf = e->strings;
    bool reuse = size <= e->strings_cap && !strings_within(point, e->strings, e->strings_cap);
    if (!reuse && !(buf = malloc(size)))
        return NULL;
    dp copy;
    copy_point(point, &copy, buf);
    if (!reuse) {
        free(e->strings);
        e->strings = buf;
        e->strings_cap = size;
    }
    e->point = copy;
    e->point.id = e->id;
    return &e->point;
}

void datahub_publish(datahub *hub, const dp *point) {
    if (!hub || !point || !point->id)
        return;
    const dp *stored = store_point(hub, point);
    if (!stored) {
        log_error("datahub", "out of memory storing point %s", point->id);
        return;
    }
    dh_update u = {.kind = DH_POINT, .point = stored, .ts_ns = stored->ts_ns};
    notify(hub, &u);
}

static meter_entry *new_meter_entry(datahub *hub, const char *name) {
    if (hub->n_meters == hub->cap_meters &&
        !grow_array((void **)&hub->meters, &hub->cap_meters, sizeof *hub->meters))
        return NULL;
    if (!index_reserve(hub, &hub->meter_index, meter_name, hub->n_meters + 1))
        return NULL;
    meter_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->name = strdup(name))) {
        free(e);
        return NULL;
    }
    hub->meters[hub->n_meters] = e;
    size_t slot = index_slot(hub, &hub->meter_index, meter_name, name);
    hub->meter_index.slots[slot] = ++hub->n_meters;
    return e;
}

void datahub_meter(datahub *hub, const dh_meter *meter) {
    if (!hub || !meter || !meter->name)
        return;
    long at = index_find(hub, &hub->meter_index, meter_name, meter->name);
    meter_entry *e = at >= 0 ? hub->meters[at] : new_meter_entry(hub, meter->name);
    dh_meter copy;
    char *strings = e ? copy_meter(meter, &copy) : NULL;
    if (!strings) {
        log_error("datahub", "out of memory storing meter %s", meter->name);
        return;
    }
    free(e->strings);
    e->strings = strings;
    e->meter = copy;
    e->meter.name = e->name;
    dh_update u = {.kind = DH_METER, .meter = &e->meter, .ts_ns = meter->last_read_ns};
    notify(hub, &u);
}

void datahub_event(datahub *hub, const dh_event *event) {
    if (!hub || !event)
        return;
    dh_update u = {.kind = DH_EVENT, .event = event, .source = event->source,
                   .ts_ns = event->ts_ns};
    notify(hub, &u);
}

void datahub_cycle_end(datahub *hub, const char *source, int64_t ts_ns) {
    if (!hub)
        return;
    dh_update u = {.kind = DH_CYCLE_END, .source = source, .ts_ns = ts_ns};
    notify(hub, &u);
}

void datahub_command(datahub *hub, const dh_command *cmd) {
    if (!hub || !cmd)
        return;
    dh_update u = {.kind = DH_COMMAND, .command = cmd, .source = cmd->source, .ts_ns = cmd->ts_ns};
    notify(hub, &u);
}

void datahub_set_meter_quality(datahub *hub, const char *meter, unsigned quality, int64_t ts_ns) {
    if (!hub || !meter)
        return;
    /* n_points is re-read: a subscriber may publish new points meanwhile. */
    for (size_t i = 0; i < hub->n_points; i++) {
        const dp *p = &hub->points[i]->point;
        if (!p->origin.meter || strcmp(p->origin.meter, meter) != 0)
            continue;
        dp marked = *p;
        marked.quality |= quality;
        if (ts_ns)
            marked.ts_ns = ts_ns;
        datahub_publish(hub, &marked);
    }
}

const dp *datahub_get(const datahub *hub, const char *id) {
    long at = hub ? index_find(hub, &hub->point_index, point_name, id) : -1;
    return at >= 0 ? &hub->points[at]->point : NULL;
}

const dh_meter *datahub_get_meter(const datahub *hub, const char *name) {
    long at = hub ? index_find(hub, &hub->meter_index, meter_name, name) : -1;
    return at >= 0 ? &hub->meters[at]->meter : NULL;
}

size_t datahub_count(const datahub *hub) {
    return hub ? hub->n_points : 0;
}

const dp *datahub_at(const datahub *hub, size_t index) {
    return hub && index < hub->n_points ? &hub->points[index]->point : NULL;
}

size_t datahub_meter_count(const datahub *hub) {
    return hub ? hub->n_meters : 0;
}

const dh_meter *datahub_meter_at(const datahub *hub, size_t index) {
    return hub && index < hub->n_meters ? &hub->meters[index]->meter : NULL;
}
