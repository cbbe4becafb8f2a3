/* mbus_stream: M-Bus frames out of a byte stream (a TCP connection), the way a
 * slave or a tolerant master hears them: bytes that cannot start a frame, and
 * frames whose checksum or stop byte is wrong, are skipped one byte at a time
 * until a valid frame begins (counted in `skipped`); a frame still incomplete
 * is kept for the next push. Pure: no I/O, no clock (whoever owns the stream
 * decides when an incomplete frame is stale: mbus_stream_reset). */
#ifndef MBUS_STREAM_H
#define MBUS_STREAM_H
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_link.h"

typedef struct mbus_stream {
    uint8_t buf[MBUS_FRAME_MAX];
    size_t len;       /* bytes of a frame begun, not complete yet */
    uint64_t skipped; /* bytes dropped since the stream began */
    uint64_t frames;  /* valid frames delivered */
} mbus_stream;

/* One valid frame: f->data points into bytes (valid during the call only). */
typedef void (*mbus_stream_frame_fn)(void *ctx, const uint8_t *bytes, size_t len,
                                     const mbus_frame *f);

void mbus_stream_reset(mbus_stream *s); /* drops a partial frame; counters stay */
/* Take n bytes; every valid frame completed by them goes to fn, in order.
 * Returns the number of frames delivered. */
size_t mbus_stream_push(mbus_stream *s, const uint8_t *bytes, size_t n, mbus_stream_frame_fn fn,
                        void *ctx);
#endif
