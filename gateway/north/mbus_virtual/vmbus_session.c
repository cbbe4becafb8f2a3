/* vmbus_session: the virtual segment's slave side of the link (see vmbus_session.h). */
#include "north/mbus_virtual/vmbus_session.h"

#include <string.h>

#define ANY_METER ((size_t)-1)

void vmbus_session_init(vmbus_session *s) {
    memset(s, 0, sizeof *s);
    s->fresh = true;
}

static size_t ack(uint8_t *out, size_t cap) {
    return mbus_encode_ack(out, cap);
}

/* Which meters does A (with the selection) address? The first of them in
 * *first; how many (0, 1, or 2 for several). */
static int addressed(const vmbus_session *s, const vmbus_slaves *sl, uint8_t a, size_t *first) {
    int n = 0;
    size_t count = sl->count(sl->ctx);
    for (size_t i = 0; i < count && n < 2; i++) {
        int primary;
        mbus_secondary sa;
        bool has_sa = false;
        if (!sl->address(sl->ctx, i, &primary, &sa, &has_sa))
            continue;
        bool hit = a == MBUS_ADDR_BROADCAST_REPLY ||
                   (a == MBUS_ADDR_SELECTED && s->selecting && has_sa &&
                    mbus_secondary_match(&s->mask, &sa)) ||
                   (a < MBUS_ADDR_SELECTED && primary == a);
        if (hit && n++ == 0)
            *first = i;
    }
    return n;
}

static void restart_pages(vmbus_session *s) {
    s->fresh = true;
}

static size_t on_nke(vmbus_session *s, const vmbus_slaves *sl, uint8_t a, uint8_t *out, size_t cap) {
    size_t first;
    restart_pages(s);
    if (a == MBUS_ADDR_BROADCAST) {
        s->selecting = false;
        return 0;
    }
    if (a == MBUS_ADDR_SELECTED) {
        bool had = s->selecting && addressed(s, sl, a, &first) > 0;
        s->selecting = false;
        return had ? ack(out, cap) : 0;
    }
    return addressed(s, sl, a, &first) > 0 ? ack(out, cap) : 0;
}

/* The page to send to meter t: FCB rules of EN 13757-2 (see the header). */
static unsigned next_page(vmbus_session *s, size_t t, uint8_t c) {
    bool fcb = (c & MBUS_C_FCB) != 0, fcv = (c & MBUS_C_FCV) != 0;
    unsigned page;
    if (s->fresh || !s->has_target || s->target != t)
        page = 0;
    else if (fcv && fcb == s->fcb)
        page = s->page; /* the master did not get our answer: the same again */
    else
        page = s->more ? s->page + 1 : 0;
    s->fresh = false;
    s->has_target = true;
    s->target = t;
    s->fcb = fcb;
    return page;
}

static size_t on_req_ud2(vmbus_session *s, const vmbus_slaves *sl, uint8_t c, uint8_t a,
                         uint8_t *out, size_t cap) {
    size_t first;
    int n = addressed(s, sl, a, &first);
    if (n == 0)
        return 0;
    uint8_t answer_a = a < MBUS_ADDR_SELECTED ? a : 0;
    int primary;
    mbus_secondary sa;
    bool has_sa;
    if (a >= MBUS_ADDR_SELECTED && sl->address(sl->ctx, first, &primary, &sa, &has_sa) &&
        primary >= 0)
        answer_a = (uint8_t)primary;
    unsigned page = next_page(s, first, c);
    size_t len = sl->rsp_ud(sl->ctx, first, answer_a, page, out, cap, &s->more);
    if (len == 0 && page > 0) /* the meter has fewer pages now: start again */
        len = sl->rsp_ud(sl->ctx, first, answer_a, page = 0, out, cap, &s->more);
    s->page = page;
    if (len == 0)
        return 0;
    if (n > 1) {
        out[len - 2]++; /* several meters at once: garbled, as on the wire */
        s->collisions++;
        s->fresh = true;
    }
    return len;
}

static size_t on_select(vmbus_session *s, const vmbus_slaves *sl, const mbus_frame *f,
                        uint8_t *out, size_t cap) {
    size_t first;
    if (f->a != MBUS_ADDR_SELECTED || f->data_len < 8)
        return 0;
    mbus_secondary_decode(f->data, &s->mask);
    s->selecting = true;
    restart_pages(s);
    if (addressed(s, sl, MBUS_ADDR_SELECTED, &first) > 0)
        return ack(out, cap);
    s->selecting = false; /* nobody matched: every meter dropped its selection */
    return 0;
}

static size_t on_snd_ud(vmbus_session *s, const vmbus_slaves *sl, const mbus_frame *f,
                        uint8_t *out, size_t cap) {
    size_t first;
    if (f->ci == MBUS_CI_SELECT)
        return on_select(s, sl, f, out, cap);
    if (f->ci == MBUS_CI_APP_RESET)
        restart_pages(s);
    if (f->a == MBUS_ADDR_BROADCAST || f->a == MBUS_ADDR_BROADCAST_REPLY)
        return 0;
    return addressed(s, sl, f->a, &first) > 0 ? ack(out, cap) : 0;
}

size_t vmbus_session_handle(vmbus_session *s, const vmbus_slaves *sl, const mbus_frame *f,
                            uint8_t *out, size_t cap) {
    size_t n = 0, first;
    uint8_t fn = f->c & (uint8_t)~(MBUS_C_FCB | MBUS_C_FCV);
    if (f->kind == MBUS_FRAME_SHORT && f->c == MBUS_C_SND_NKE)
        n = on_nke(s, sl, f->a, out, cap);
    else if (f->kind == MBUS_FRAME_SHORT && fn == (MBUS_C_REQ_UD2 & ~MBUS_C_FCV))
        n = on_req_ud2(s, sl, f->c, f->a, out, cap);
    else if (f->kind == MBUS_FRAME_SHORT && fn == (MBUS_C_REQ_UD1 & ~MBUS_C_FCV))
        n = addressed(s, sl, f->a, &first) > 0 && f->a != MBUS_ADDR_BROADCAST ? ack(out, cap) : 0;
    else if (f->kind != MBUS_FRAME_SHORT && f->kind != MBUS_FRAME_ACK &&
             fn == (MBUS_C_SND_UD & ~MBUS_C_FCV))
        n = on_snd_ud(s, sl, f, out, cap);
    if (n)
        s->answers++;
    else
        s->ignored++;
    return n;
}
