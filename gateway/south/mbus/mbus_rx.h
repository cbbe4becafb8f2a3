/* mbus_rx: assemble one M-Bus answer from bytes as they arrive.
 *
 * The master expects exactly one answer per request. Bytes are appended until
 * mbus_frame_needed() says the frame is complete (no idle wait at the frame's
 * end) or the start byte proves the answer is garbage (a collision, noise).
 * Garbage is kept, up to the buffer size, so that it can be reported; the
 * caller ends it on the idle timeout. Pure: no I/O, no clock. */
#ifndef GW_MBUS_RX_H
#define GW_MBUS_RX_H
#include <stddef.h>
#include <stdint.h>

#include "codec/mbus/mbus_error.h"
#include "codec/mbus/mbus_link.h"

typedef enum {
    MBUS_RX_EMPTY,    /* nothing received yet */
    MBUS_RX_PARTIAL,  /* a frame has started and is not complete */
    MBUS_RX_COMPLETE, /* buf[0 .. frame_len) holds one whole frame (not yet checked) */
    MBUS_RX_GARBAGE,  /* the bytes cannot be the start of a frame */
} mbus_rx_state;

typedef struct mbus_rx {
    uint8_t buf[MBUS_FRAME_MAX];
    size_t len;        /* bytes kept */
    size_t dropped;    /* bytes that did not fit (garbage longer than a frame) */
    size_t frame_len;  /* MBUS_RX_COMPLETE: length of the frame */
    mbus_rx_state state;
    mbus_error err;    /* MBUS_RX_GARBAGE: why */
} mbus_rx;

void mbus_rx_reset(mbus_rx *rx);
/* Append bytes; returns the new state. Bytes after a complete frame are
 * counted in `dropped` (the caller decides what trailing bytes mean). */
mbus_rx_state mbus_rx_push(mbus_rx *rx, const uint8_t *bytes, size_t n);
#endif
