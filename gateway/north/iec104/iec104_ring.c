/* iec104_ring: a ring of events that drops the oldest when full, so a slow
 * master gets the newest values rather than stale ones. */
#include <stdlib.h>
#include <string.h>

#include "north/iec104/iec104_ring.h"

bool ring_init(event_ring *r, size_t cap) {
    r->items = cap ? malloc(cap * sizeof *r->items) : NULL;
    r->cap = r->items ? cap : 0;
    r->head = r->n = 0;
    return r->items || cap == 0;
}

void ring_free(event_ring *r) {
    free(r->items);
    memset(r, 0, sizeof *r);
}

bool ring_push(event_ring *r, const iec104_event *e) {
    if (!r->cap)
        return true;
    bool dropped = false;
    if (r->n == r->cap) {
        r->head = (r->head + 1) % r->cap;
        r->n--;
        dropped = true;
    }
    r->items[(r->head + r->n) % r->cap] = *e;
    r->n++;
    return dropped;
}

bool ring_pop(event_ring *r, iec104_event *e) {
    if (!r->n)
        return false;
    *e = r->items[r->head];
    r->head = (r->head + 1) % r->cap;
    r->n--;
    return true;
}
