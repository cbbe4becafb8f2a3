/* mbus_stream: frames out of a byte stream, skipping what is not one (see mbus_stream.h). */
#include "codec/mbus/mbus_stream.h"

#include <string.h>

void mbus_stream_reset(mbus_stream *s) {
    s->len = 0;
}

static void drop(mbus_stream *s, size_t n) {
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
    s->skipped += n;
}

/* Deliver or drop what the buffer starts with; false when it needs more bytes. */
static bool step(mbus_stream *s, mbus_stream_frame_fn fn, void *ctx) {
    mbus_error err = {0};
    size_t need = mbus_frame_needed(s->buf, s->len, &err);
    if (err.code != MBUS_OK) {
        drop(s, 1); /* cannot start a frame here: resynchronise at the next byte */
        return true;
    }
    if (need == 0 || s->len < need)
        return false;
    mbus_frame f;
    if (mbus_frame_parse(s->buf, need, &f, &err) != MBUS_OK) {
        drop(s, 1); /* checksum or stop byte wrong: its first byte was no frame start */
        return true;
    }
    s->frames++;
    /* the frame leaves the buffer before fn runs: fn sees a consistent stream */
    uint8_t frame[MBUS_FRAME_MAX];
    memcpy(frame, s->buf, need);
    memmove(s->buf, s->buf + need, s->len - need);
    s->len -= need;
    mbus_frame_parse(frame, need, &f, &err);
    fn(ctx, frame, need, &f);
    return true;
}

size_t mbus_stream_push(mbus_stream *s, const uint8_t *bytes, size_t n, mbus_stream_frame_fn fn,
                        void *ctx) {
    uint64_t before = s->frames;
    size_t i = 0;
    do { /* a frame never needs more than the buffer holds: each round makes room */
        while (i < n && s->len < sizeof s->buf)
            s->buf[s->len++] = bytes[i++];
        while (s->len > 0 && step(s, fn, ctx))
            ;
    } while (i < n);
    return (size_t)(s->frames - before);
}
