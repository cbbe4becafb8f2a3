/* store_hold: the writes of the open transaction, kept in memory until it
 * committed, and kept on while the store cannot be written.
 *
 * A full disk (or database), an I/O error, a read-only file or a lock held by
 * another process makes a commit fail, and a failed commit rolls back a whole
 * cycle: its readings, its events and the rows of its reports. Rather than lose
 * them, the store keeps a copy of every write until the commit that contains it
 * succeeded. When one fails the store is "held": it stops touching SQL, adds
 * every new write to the copy, and tries again with a growing pause (1 s
 * doubling to 30 s): BEGIN, every held write in its order, COMMIT. Reports
 * rendered meanwhile keep the ids they were rendered with, and no transport
 * sees them before that commit.
 *
 * At most `max` readings, meters and events are held (gateway.hold); beyond
 * it the oldest of them is dropped and counted. Reports and the deletes of
 * delivered ones are never dropped here: dropping one would lose a report id
 * (the instance's backlog bounds them when they are written). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"

typedef enum { HOLD_POINT, HOLD_METER, HOLD_EVENT, HOLD_ADD, HOLD_DELETE } hold_kind;

struct hold_op {
    hold_op *next;
    hold_kind kind;
    union {
        dp point;
        dh_meter meter;
        dh_event event;
        struct {
            store_msg msg;
            int64_t limit;
        } add;
        int64_t id;
    } u;
    char data[]; /* the strings and bytes the members point at */
};

/* ---- copies packed into one allocation (measured first, then written) ---- */

typedef struct packer {
    char *at; /* NULL: only measure */
    size_t n;
} packer;

static const void *put_bytes(packer *k, const void *bytes, size_t n) {
    if (!bytes)
        return NULL;
    k->n += n;
    if (!k->at)
        return bytes;
    void *out = memcpy(k->at, bytes, n);
    k->at += n;
    return out;
}

static const char *put(packer *k, const char *text) {
    return text ? put_bytes(k, text, strlen(text) + 1) : NULL;
}

static void copy_point(hold_op *op, const void *src, packer *k) {
    const dp *p = src;
    dp *d = &op->u.point;
    *d = *p;
    d->id = put(k, p->id);
    d->unit = put(k, p->unit);
    d->origin.meter = put(k, p->origin.meter);
    d->origin.address = put(k, p->origin.address);
    d->origin.quantity = put(k, p->origin.quantity);
    d->origin.function = put(k, p->origin.function);
    if (p->value.type == DP_STRING)
        d->value.s = put(k, p->value.s);
    if (p->value.type == DP_BYTES)
        d->value.bytes = put_bytes(k, p->value.bytes, p->value.len);
}

static void copy_meter(hold_op *op, const void *src, packer *k) {
    const dh_meter *m = src;
    dh_meter *d = &op->u.meter;
    *d = *m;
    d->name = put(k, m->name);
    d->interface = put(k, m->interface);
    d->secondary = put(k, m->secondary);
    d->serial = put(k, m->serial);
    d->manufacturer = put(k, m->manufacturer);
    d->medium_name = put(k, m->medium_name);
    d->status = put(k, m->status);
}

static void copy_event(hold_op *op, const void *src, packer *k) {
    const dh_event *e = src;
    dh_event *d = &op->u.event;
    *d = *e;
    d->source = put(k, e->source);
    d->kind = put(k, e->kind);
    d->meter = put(k, e->meter);
    d->text = put(k, e->text);
    d->bytes = put_bytes(k, e->bytes, e->len);
}

static void copy_msg(hold_op *op, const void *src, packer *k) {
    const store_msg *m = src;
    store_msg *d = &op->u.add.msg;
    *d = *m;
    d->instance = put(k, m->instance);
    d->name = (char *)put(k, m->name);
    d->content_type = (char *)put(k, m->content_type);
    d->body = (char *)put_bytes(k, m->body ? m->body : "", m->len);
}

typedef void (*copy_fn)(hold_op *op, const void *src, packer *k);

static hold_op *op_new(hold_kind kind, copy_fn copy, const void *src) {
    hold_op scratch;
    packer k = {0};
    copy(&scratch, src, &k);
    hold_op *op = malloc(sizeof *op + k.n);
    if (!op)
        return NULL;
    op->next = NULL;
    op->kind = kind;
    k = (packer){.at = op->data};
    copy(op, src, &k);
    return op;
}

/* ---- the list ---- */

static bool droppable(const hold_op *op) {
    return op->kind == HOLD_POINT || op->kind == HOLD_METER || op->kind == HOLD_EVENT;
}

/* The oldest reading, meter or event goes: the price of a bounded memory. */
static void drop_oldest(store_hold *h) {
    for (hold_op **at = &h->head, *prev = NULL; *at; prev = *at, at = &(*at)->next) {
        if (!droppable(*at))
            continue;
        hold_op *op = *at;
        *at = op->next;
        if (h->tail == op)
            h->tail = prev;
        free(op);
        h->n_droppable--;
        h->dropped++;
        h->dropped_total++;
        return;
    }
}

static void push(store_hold *h, hold_op *op) {
    if (!op) {
        log_error("store", "out of memory: a write is not held");
        h->dropped++;
        h->dropped_total++;
        return;
    }
    if (h->tail)
        h->tail->next = op;
    else
        h->head = op;
    h->tail = op;
    h->n_ops++;
    if (droppable(op))
        h->n_droppable++;
    while (h->n_droppable > h->max)
        drop_oldest(h);
}

void hold_update(gw_store *s, const dh_update *u) {
    store_hold *h = &s->hold;
    if (u->kind == DH_POINT && u->point)
        push(h, op_new(HOLD_POINT, copy_point, u->point));
    else if (u->kind == DH_METER && u->meter)
        push(h, op_new(HOLD_METER, copy_meter, u->meter));
    else if (u->kind == DH_EVENT && u->event)
        push(h, op_new(HOLD_EVENT, copy_event, u->event));
}

void hold_outbox_add(gw_store *s, const store_msg *m, int64_t limit) {
    store_hold *h = &s->hold;
    hold_op *op = op_new(HOLD_ADD, copy_msg, m);
    if (op)
        op->u.add.limit = limit;
    push(h, op);
    if (op && (!h->first_add || m->id < h->first_add))
        h->first_add = m->id;
    if (op && m->id > h->last_add)
        h->last_add = m->id;
}

static void copy_id(hold_op *op, const void *src, packer *k) {
    (void)k;
    op->u.id = *(const int64_t *)src;
}

void hold_outbox_delete(gw_store *s, int64_t id) {
    store_hold *h = &s->hold;
    push(h, op_new(HOLD_DELETE, copy_id, &id));
    if (h->n_deleted == h->cap_deleted) {
        size_t cap = h->cap_deleted ? h->cap_deleted * 2 : 16;
        int64_t *more = realloc(h->deleted, cap * sizeof *more);
        if (!more)
            return; /* the delete is held; only the head may show it again */
        h->deleted = more;
        h->cap_deleted = cap;
    }
    h->deleted[h->n_deleted++] = id;
}

bool hold_deleted(const store_hold *h, int64_t id) {
    for (size_t i = 0; i < h->n_deleted; i++)
        if (h->deleted[i] == id)
            return true;
    return false;
}

size_t hold_added(const store_hold *h, const char *instance) {
    size_t n = 0;
    if (!h->first_add)
        return 0;
    for (const hold_op *op = h->head; op; op = op->next)
        if (op->kind == HOLD_ADD && strcmp(op->u.add.msg.instance, instance) == 0)
            n++;
    return n;
}

const store_msg *hold_first_added(const store_hold *h, const char *instance) {
    if (!h->first_add)
        return NULL;
    for (const hold_op *op = h->head; op; op = op->next)
        if (op->kind == HOLD_ADD && strcmp(op->u.add.msg.instance, instance) == 0)
            return &op->u.add.msg;
    return NULL;
}

void hold_clear(store_hold *h) {
    while (h->head) {
        hold_op *op = h->head;
        h->head = op->next;
        free(op);
    }
    h->tail = NULL;
    h->n_ops = h->n_droppable = 0;
    h->first_add = h->last_add = 0;
    h->n_deleted = 0;
}

void hold_free(store_hold *h) {
    hold_clear(h);
    free(h->deleted);
    h->deleted = NULL;
    h->cap_deleted = 0;
}

/* Every held write again, in order, into the open transaction. */
void hold_replay(gw_store *s) {
    for (const hold_op *op = s->hold.head; op; op = op->next) {
        switch (op->kind) {
        case HOLD_POINT:
            store_write_update(s, &(dh_update){.kind = DH_POINT, .point = &op->u.point});
            break;
        case HOLD_METER:
            store_write_update(s, &(dh_update){.kind = DH_METER, .meter = &op->u.meter});
            break;
        case HOLD_EVENT:
            store_write_update(s, &(dh_update){.kind = DH_EVENT, .event = &op->u.event});
            break;
        case HOLD_ADD:
            store_outbox_insert(s, &op->u.add.msg, op->u.add.limit, NULL);
            break;
        case HOLD_DELETE:
            store_outbox_remove(s, op->u.id);
            break;
        }
    }
}

void store_set_hold(gw_store *s, size_t max) {
    if (s)
        s->hold.max = max;
}

unsigned long long store_hold_dropped(const gw_store *s) {
    return s ? (unsigned long long)s->hold.dropped_total : 0;
}

size_t store_held(const gw_store *s) {
    return s && s->hold.outage ? s->hold.n_ops : 0;
}
