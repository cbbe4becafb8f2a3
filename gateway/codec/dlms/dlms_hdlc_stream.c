/* Taking HDLC frames one at a time out of the bytes of a serial line. */
#include <string.h>

#include "codec/dlms/dlms_hdlc.h"

static void drop(hdlc_stream *s, size_t n) {
    if (n > s->len) n = s->len;
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

size_t hdlc_stream_room(hdlc_stream *s) {
    if (s->len == sizeof s->buf) s->len = 0; /* noise without flags: start over */
    return sizeof s->buf - s->len;
}

hdlc_result hdlc_stream_next(hdlc_stream *s, hdlc_frame *f, const uint8_t **raw, size_t *raw_len,
                             const char **why) {
    drop(s, s->taken);
    s->taken = 0;
    size_t used = 0;
    *why = "";
    hdlc_result r = hdlc_decode(s->buf, s->len, f, &used, why);
    if (r == HDLC_NEED_MORE) {
        drop(s, used); /* garbage before a flag can go */
        return r;
    }
    s->taken = used ? used : 1; /* always progress, even on a bad byte */
    if (raw) *raw = s->buf;
    if (raw_len) *raw_len = s->taken;
    return r;
}
