/* mbus_slave: the slave state machine (see mbus_slave.h). */
#include "sim/mbus/mbus_slave.h"
#include <string.h>
#include "sim/mbus/telegram_edit.h"

void mbus_slave_init(mbus_slave *s) {
    memset(s, 0, sizeof *s);
    s->primary = -1;
    mbus_slave_reset(s);
}

void mbus_slave_reset(mbus_slave *s) {
    s->page = -1;
    s->last_fcb = -1;
}

void mbus_slave_free(mbus_slave *s) {
    telegram_list_free(&s->pages);
}

static bool is_own_primary(const mbus_slave *s, uint8_t a) {
    return s->primary >= 0 && a == (uint8_t)s->primary;
}

static mbus_slave_action ack(uint8_t *out, size_t cap, size_t *out_len) {
    *out_len = mbus_encode_ack(out, cap);
    return *out_len ? SLAVE_ACK : SLAVE_IGNORE;
}

/* SND_NKE: reset the link layer. Via 0xFD it also ends the selection; the
 * broadcast 0xFF resets everybody and nobody answers (they would collide). */
static mbus_slave_action on_nke(mbus_slave *s, uint8_t a, uint8_t *out, size_t cap,
                                size_t *out_len) {
    if (a == MBUS_ADDR_BROADCAST) {
        mbus_slave_reset(s);
        s->selected = false;
        return SLAVE_IGNORE;
    }
    if (a == MBUS_ADDR_SELECTED && s->selected) {
        mbus_slave_reset(s);
        s->selected = false;
        return ack(out, cap, out_len);
    }
    if (is_own_primary(s, a)) {
        mbus_slave_reset(s);
        return ack(out, cap, out_len);
    }
    return SLAVE_IGNORE;
}

/* The slave's own secondary address as the 8 data bytes of a selection carry it
 * (EN 13757-3, selection with CI 0x52): identification number as 8 BCD digits, least
 * significant byte first; manufacturer code, low byte first; version; medium. Written
 * here from the standard, not with the gateway's codec, so that a misreading of the
 * address layout on either side shows as a failed selection. */
static void own_selection_bytes(const mbus_slave *s, uint8_t out[8]) {
    for (int i = 0; i < 4; i++) out[i] = (uint8_t)(s->secondary.id_bcd >> (8 * i));
    out[4] = (uint8_t)(s->secondary.manufacturer & 0xFF);
    out[5] = (uint8_t)(s->secondary.manufacturer >> 8);
    out[6] = s->secondary.version;
    out[7] = s->secondary.medium;
}

/* A selection pattern matches when every nibble is the slave's own or the wildcard F.
 * EN 13757-3 defines F nibbles as wildcards in the identification number (and FFh /
 * FFFFh for the other fields); many meters treat every nibble of manufacturer, version
 * and medium the same way, and gateways' nibble-wise scans rely on it, so this slave
 * does too. */
static bool selection_matches(const uint8_t pattern[8], const uint8_t own[8]) {
    for (int i = 0; i < 8; i++) {
        for (int shift = 0; shift <= 4; shift += 4) {
            unsigned want = (pattern[i] >> shift) & 0x0F, have = (own[i] >> shift) & 0x0F;
            if (want != 0x0F && want != have) return false;
        }
    }
    return true;
}

/* Secondary selection (CI 0x52 to 0xFD): matching slaves become selected and
 * answer E5, all others drop their selection. A new selection starts the
 * page sequence afresh, so masters that select without SND_NKE get page 0. */
static mbus_slave_action on_select(mbus_slave *s, const mbus_frame *f, uint8_t *out,
                                   size_t cap, size_t *out_len) {
    if (f->data_len < 8) return SLAVE_IGNORE;
    uint8_t own[8];
    own_selection_bytes(s, own);
    if (!selection_matches(f->data, own)) {
        s->selected = false;
        return SLAVE_IGNORE;
    }
    if (!s->selected) mbus_slave_reset(s);
    s->selected = true;
    return ack(out, cap, out_len);
}

static bool addressed(const mbus_slave *s, uint8_t a) {
    return is_own_primary(s, a) || (a == MBUS_ADDR_SELECTED && s->selected) ||
           a == MBUS_ADDR_BROADCAST_REPLY;
}

/* Does a fault swallow this request (counted in s->requests already)? */
static bool fault_ignores(const mbus_slave *s) {
    if (s->faults.silent) return true;
    if (s->requests <= s->faults.answer_after) return true;
    unsigned every = s->faults.answer_every;
    return every > 1 && (s->requests - s->faults.answer_after) % every != 0;
}

/* FCB rule: first request after reset → page 0; toggled FCB → next page;
 * same FCB → same page again (the master did not get our last answer). */
static void advance_page(mbus_slave *s, uint8_t c) {
    int fcb = (c & MBUS_C_FCB) ? 1 : 0;
    bool fcv = (c & MBUS_C_FCV) != 0;
    if (s->page < 0) {
        s->page = s->rotate ? (int)(s->readouts++ % s->pages.n) : 0;
    } else if (fcv && fcb != s->last_fcb) {
        s->page = (s->page + 1) % (int)s->pages.n;
    }
    if (fcv) s->last_fcb = fcb;
}

static mbus_slave_action on_req_ud2(mbus_slave *s, uint8_t c, uint8_t *out, size_t cap,
                                    size_t *out_len) {
    s->requests++;
    if (fault_ignores(s) || s->pages.n == 0) return SLAVE_IGNORE;
    advance_page(s, c);
    const hex_frame *t = &s->pages.items[s->page];
    if (t->len > cap) return SLAVE_IGNORE;
    s->answers++;
    if (s->answers <= s->faults.corrupt_first) {
        *out_len = tg_corrupt_checksum(t, out, cap);
    } else {
        memcpy(out, t->bytes, t->len);
        *out_len = t->len;
    }
    /* A long frame's L field is sent twice (bytes 1 and 2): both one too small,
     * as a meter with a miscounted length would, so the frame looks consistent
     * until the stop byte is not where L says. */
    if (s->answers <= s->faults.wrong_length_first && *out_len > 4 && out[0] == 0x68) {
        out[1]--;
        out[2]--;
    }
    /* A hanging slave stops sending halfway through its answer. */
    if (s->answers <= s->faults.hang_first) *out_len /= 2;
    return SLAVE_RSP;
}

mbus_slave_action mbus_slave_handle(mbus_slave *s, const mbus_frame *f, uint8_t *out,
                                    size_t cap, size_t *out_len) {
    *out_len = 0;
    if (s->faults.silent) return SLAVE_IGNORE;
    if (f->kind == MBUS_FRAME_SHORT) {
        if (f->c == MBUS_C_SND_NKE) return on_nke(s, f->a, out, cap, out_len);
        if ((f->c & ~(MBUS_C_FCB | MBUS_C_FCV)) == (MBUS_C_REQ_UD2 & ~(MBUS_C_FCB | MBUS_C_FCV)) &&
            addressed(s, f->a))
            return on_req_ud2(s, f->c, out, cap, out_len);
        return SLAVE_IGNORE;
    }
    if (f->kind != MBUS_FRAME_LONG && f->kind != MBUS_FRAME_CONTROL) return SLAVE_IGNORE;
    if ((f->c & ~MBUS_C_FCB) != MBUS_C_SND_UD) return SLAVE_IGNORE;
    if (f->ci == MBUS_CI_SELECT && f->a == MBUS_ADDR_SELECTED)
        return on_select(s, f, out, cap, out_len);
    if (f->a == MBUS_ADDR_BROADCAST) { /* everybody obeys, nobody answers */
        if (f->ci == MBUS_CI_APP_RESET) mbus_slave_reset(s);
        return SLAVE_IGNORE;
    }
    if (!addressed(s, f->a) || f->a == MBUS_ADDR_BROADCAST_REPLY) return SLAVE_IGNORE;
    /* other SND_UD (application reset, data send): acknowledge; a reset restarts paging */
    if (f->ci == MBUS_CI_APP_RESET) mbus_slave_reset(s);
    return ack(out, cap, out_len);
}
