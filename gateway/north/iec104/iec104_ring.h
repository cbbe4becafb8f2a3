/* iec104_ring: the bounded queue of spontaneous events, one per connection
 * and one for the server while no master is started. */
#ifndef GW_IEC104_RING_H
#define GW_IEC104_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/iec104/iec104.h"

/* A spontaneous (or interrogated) object waiting for the window. */
typedef struct iec104_event {
    uint32_t map;          /* index of the mapping row */
    uint8_t cot;
    uint8_t type;
    iec104_io io;
} iec104_event;

typedef struct event_ring {
    iec104_event *items;
    size_t cap, head, n;
} event_ring;

bool ring_init(event_ring *r, size_t cap);
void ring_free(event_ring *r);
/* Append; when full the oldest is dropped and true is returned. */
bool ring_push(event_ring *r, const iec104_event *e);
bool ring_pop(event_ring *r, iec104_event *e);
#endif
