/* store_points: the id of the `points` row describing a data point, cached by name. */
#include <stdlib.h>
#include <string.h>

#include "core/dp_address.h"
#include "store/store_int.h"

/* ---- points: name -> id of its description in table points ---- */

static bool same_text(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static uint64_t name_hash(const char *name) {
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 1099511628211ULL;
    return h;
}

void store_points_clear(point_cache *c) {
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slots[i].name);
        c->slots[i].name = NULL;
    }
    c->used = 0;
}

/* The slot holding name, or the free slot where it belongs. */
static point_entry *points_slot(const point_cache *c, const char *name, uint64_t hash) {
    size_t mask = c->cap - 1, i = (size_t)hash & mask;
    while (c->slots[i].name && (c->slots[i].hash != hash || strcmp(c->slots[i].name, name) != 0))
        i = (i + 1) & mask;
    return &c->slots[i];
}

static bool points_grow(point_cache *c) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    point_entry *old = c->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    size_t old_cap = c->cap;
    c->slots = slots;
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name)
            *points_slot(c, old[i].name, old[i].hash) = old[i];
    free(old);
    return true;
}

static bool entry_matches(const point_entry *e, const dp *p) {
    const dp_origin *o = &p->origin;
    return e->record == o->record && e->protocol == (int)o->protocol &&
           same_text(e->meter, o->meter) &&
           same_text(e->quantity, o->quantity) && same_text(e->unit, p->unit) &&
           same_text(e->function, o->function) && same_text(e->address, o->address);
}

/* Copy a string (or NULL) into the entry's allocation at *at. */
static const char *pack(char **at, const char *text) {
    if (!text)
        return NULL;
    size_t n = strlen(text) + 1;
    char *out = memcpy(*at, text, n);
    *at += n;
    return out;
}

static size_t packed_len(const char *text) {
    return text ? strlen(text) + 1 : 0;
}

/* Remember p's description under its name (replacing an older one). */
static void entry_set(point_entry *e, const dp *p, int64_t id) {
    const dp_origin *o = &p->origin;
    size_t n = packed_len(p->id) + packed_len(o->meter) + packed_len(o->quantity) +
               packed_len(p->unit) + packed_len(o->function) + packed_len(o->address);
    char *buf = malloc(n), *at = buf;
    free(e->name);
    e->name = NULL;
    if (!buf)
        return; /* not cached: the next reading asks SQL again */
    e->name = (char *)pack(&at, p->id);
    e->meter = pack(&at, o->meter);
    e->quantity = pack(&at, o->quantity);
    e->unit = pack(&at, p->unit);
    e->function = pack(&at, o->function);
    e->address = pack(&at, o->address);
    e->record = o->record;
    e->protocol = (int)o->protocol;
    e->id = id;
}

/* Text that does not outlive the call: SQLite keeps a copy until the next bind. */
static void bind_copy(sqlite3_stmt *st, int idx, const char *text) {
    if (text)
        sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

/* storage ... vif hold M-Bus addresses only (zero and NULL otherwise); protocol and
 * address every point's origin (schema version 3). */
static void bind_description(sqlite3_stmt *st, const dp *p) {
    const dp_origin *o = &p->origin;
    dp_mbus_address a;
    bool mbus = dp_mbus_address_of(o, &a);
    store_bind_text(st, 1, p->id);
    store_bind_text(st, 2, o->meter);
    sqlite3_bind_int(st, 3, o->record);
    store_bind_text(st, 4, o->quantity);
    store_bind_text(st, 5, p->unit);
    sqlite3_bind_int(st, 6, a.storage);
    sqlite3_bind_int(st, 7, a.tariff);
    sqlite3_bind_int(st, 8, a.subunit);
    store_bind_text(st, 9, o->function);
    bind_copy(st, 10, mbus ? a.dif_hex : NULL);
    bind_copy(st, 11, mbus ? a.vif_hex : NULL);
    store_bind_text(st, 12, o->protocol == DP_PROTO_NONE ? NULL : dp_protocol_name(o->protocol));
    store_bind_text(st, 13, o->address);
}

/* The points row describing p: an existing one (also from an earlier run),
 * else a new one. -1 on error (logged). */
static int64_t point_row(gw_store *s, const dp *p) {
    int64_t id = -1;
    bind_description(s->point_find, p);
    int rc = sqlite3_step(s->point_find);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(s->point_find, 0);
    else if (rc != SQLITE_DONE)
        store_error(s, "find point");
    sqlite3_reset(s->point_find);
    if (id >= 0 || rc != SQLITE_DONE)
        return id;
    bind_description(s->point_add, p);
    if (sqlite3_step(s->point_add) == SQLITE_DONE)
        id = sqlite3_last_insert_rowid(s->db);
    else
        store_error(s, "insert reading");
    sqlite3_reset(s->point_add);
    return id;
}

int64_t store_point_id(gw_store *s, const dp *p) {
    point_cache *c = &s->points;
    if (!p->id)
        return point_row(s, p); /* unnamed: nothing to cache it under */
    if ((c->used + 1) * 2 > c->cap && !points_grow(c))
        return point_row(s, p);
    uint64_t hash = name_hash(p->id);
    point_entry *e = points_slot(c, p->id, hash);
    if (e->name && entry_matches(e, p))
        return e->id;
    int64_t id = point_row(s, p);
    if (id < 0)
        return id;
    bool was_free = !e->name;
    entry_set(e, p, id);
    e->hash = hash;
    if (was_free && e->name)
        c->used++;
    else if (!was_free && !e->name)
        c->used--;
    return id;
}

