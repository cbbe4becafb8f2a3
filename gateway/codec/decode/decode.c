/* The decode path: link layer (wired or wireless), then ELL and AFL, then
 * the transport header with its security, then the records through the
 * M-Bus application layer decoder. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"
#include "codec/mbus/mbus_link.h"

#define WIRED_CI_POS 6    /* 68 L L 68 C A CI */
#define CI_AFL 0x90
#define CI_RECORDS_NO_HEADER 0x78

decoder *decoder_new(void) {
    decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->crypto = oms_crypto_new();
    if (!d->crypto) {
        free(d);
        return NULL;
    }
    return d;
}

void decoder_free(decoder *d) {
    if (!d)
        return;
    oms_crypto_free(d->crypto);
    free(d);
}

static bool fail(telegram *t, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(telegram *t, size_t offset, const char *fmt, ...) {
    if (t->has_error)
        return false;
    t->has_error = true;
    t->error_offset = offset;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->error, sizeof t->error, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof t->error)
        snprintf(t->error + n, sizeof t->error - (size_t)n, " (at byte %zu)", offset);
    return false;
}

/* The M-Bus codec says "at byte N: reason" relative to what it was given. */
static bool fail_mbus(telegram *t, size_t base, const mbus_error *e) {
    const char *reason = strstr(e->msg, ": ");
    return fail(t, base + e->offset, "%s", reason ? reason + 2 : mbus_err_name(e->code));
}

static void reset(telegram *t) {
    t->len = 0;
    t->format = WMBUS_FMT_PLAIN;
    t->c = 0, t->c_name = NULL, t->has_c = false;
    t->has_address = false, t->address = 0;
    t->has_link = t->has_ell = t->has_afl = t->has_ci = t->has_tpl = t->has_meter = false;
    t->ell_sec.outcome = t->sec.outcome = OMS_SEC_NONE;
    t->ell_sec.why[0] = t->sec.why[0] = '\0';
    t->ci = 0, t->ci_pos = 0;
    t->alarm = NULL, t->alarm_len = 0;
    t->ci_info = NULL, t->apl_data = NULL, t->apl_len = 0;
    t->has_compact = false, t->format_signature = t->frame_crc = 0;
    t->compact_data = NULL, t->compact_len = 0;
    t->trailing_len = 0;
    t->app.n_records = 0;
    t->app.more_follows = false;
    t->app.mfr_data = NULL;
    t->app.mfr_len = 0;
    t->app.app_error = -1;
    t->has_error = false;
    t->error_offset = 0;
    t->error[0] = '\0';
}

/* ---- keys ----------------------------------------------------------------- */
static const uint8_t *key_for(decoder *d, const wmbus_address *a) {
    return decode_keys_find(&d->keys, a ? a->id_bcd : 0xFFFFFFFFu);
}

/* M(2) A(6) in link-layer order from an address. */
static void address_bytes(const wmbus_address *a, uint8_t ma[8]) {
    ma[0] = (uint8_t)a->manufacturer, ma[1] = (uint8_t)(a->manufacturer >> 8);
    for (int i = 0; i < 4; i++)
        ma[2 + i] = (uint8_t)(a->id_bcd >> (8 * i));
    ma[6] = a->version, ma[7] = a->device_type;
}

/* ---- application layer ---------------------------------------------------- */
static bool decode_records(telegram *t, size_t pos, size_t end) {
    mbus_error e;
    if (mbus_app_decode(CI_RECORDS_NO_HEADER, t->buf + pos, end - pos, &t->app, &e) != MBUS_OK)
        return fail_mbus(t, pos, &e);
    return true;
}

/* Compact frame: after the fillers of a decrypted payload, the format
 * signature and the full frame CRC (both low byte first), then the values.
 * Their DIF/VIF come in a format frame with the same signature, which this
 * decoder does not keep: the values are shown, not decoded. */
static bool decode_compact(telegram *t, size_t pos, size_t end) {
    while (pos < end && t->buf[pos] == 0x2F)
        pos++;
    if (end - pos < 4)
        return fail(t, pos, "compact frame needs a format signature and a frame CRC");
    t->has_compact = true;
    t->format_signature = (uint16_t)(t->buf[pos] | t->buf[pos + 1] << 8);
    t->frame_crc = (uint16_t)(t->buf[pos + 2] | t->buf[pos + 3] << 8);
    t->compact_data = t->buf + pos + 4;
    t->compact_len = end - pos - 4;
    return true;
}

static bool decode_apl(telegram *t, size_t pos, size_t end) {
    switch (t->ci_info ? t->ci_info->apl : WMBUS_APL_RECORDS) {
    case WMBUS_APL_ERROR: {
        unsigned code = pos < end ? t->buf[pos] : 0;
        t->app.app_error = (int)code;
        return fail(t, pos, "meter reports application error %u: %s", code, mbus_app_error_text(code));
    }
    case WMBUS_APL_ALARM:
        t->alarm = t->buf + pos;
        t->alarm_len = end - pos;
        return true;
    case WMBUS_APL_COMPACT: return decode_compact(t, pos, end);
    case WMBUS_APL_FORMAT:
    case WMBUS_APL_OTHER:
    case WMBUS_APL_NONE:
        t->apl_data = t->buf + pos;
        t->apl_len = end - pos;
        return true;
    case WMBUS_APL_RECORDS: break;
    }
    return decode_records(t, pos, end);
}

/* Transport header, security, application data of the message at ci_pos. */
static bool decode_transport(decoder *d, telegram *t, size_t end) {
    size_t pos = t->ci_pos;
    wmbus_error we;
    if (wmbus_tpl_parse(t->buf + pos, end - pos, &t->tpl, &we) != WMBUS_OK)
        return fail(t, pos + we.offset, "%s", we.msg);
    t->has_tpl = true;
    if (t->tpl.kind == WMBUS_TPL_LONG) {
        t->meter = t->tpl.addr;
        t->has_meter = true;
    }
    uint8_t ma[8], id[4];
    const wmbus_address *who = t->has_meter ? &t->meter : NULL;
    if (who)
        address_bytes(who, ma);
    memcpy(id, ma + 2, 4);
    if (t->tpl.mode != 0 && !who)
        return fail(t, pos, "encrypted transport layer without a meter address (no long header, no link layer)");
    oms_tpl_job job = {&t->tpl, t->has_afl ? &t->afl : NULL, ma, id, key_for(d, who),
                       t->buf + pos, end - pos};
    oms_tpl_unprotect(d->crypto, &job, &t->sec);
    switch (t->sec.outcome) {
    case OMS_SEC_NONE: case OMS_SEC_OK: case OMS_SEC_PLAIN_FLAGGED: break;
    default: return fail(t, pos + t->sec.offset, "%s", t->sec.why);
    }
    if (!t->tpl.has_apl)
        return pos + t->tpl.len == end || fail(t, pos + t->tpl.len, "data after a transport-only CI");
    return decode_apl(t, pos + t->tpl.len, end);
}

/* CI at ci_pos: ELL and AFL first (wireless), then transport and application. */
static bool decode_from_ci(decoder *d, telegram *t, size_t pos, size_t end) {
    wmbus_error we;
    for (;;) {
        if (pos >= end)
            return fail(t, pos, "CI field expected, frame ends");
        uint8_t ci = t->buf[pos];
        if (wmbus_ci_is_ell(ci) && !t->has_ell) {
            if (wmbus_ell_parse(t->buf + pos, end - pos, &t->ell, &we) != WMBUS_OK)
                return fail(t, pos + we.offset, "%s", we.msg);
            t->has_ell = true;
            pos += t->ell.len;
            if (t->ell.has_sn && t->ell.enc) {
                const wmbus_address *link = t->has_link ? &t->link.addr : NULL;
                if (!link)
                    return fail(t, pos, "encrypted ELL needs the link layer address");
                uint8_t ma[8];
                address_bytes(link, ma);
                oms_ell_unprotect(d->crypto, &t->ell, ma, key_for(d, link), t->buf + pos, end - pos,
                                  &t->ell_sec);
                if (t->ell_sec.outcome != OMS_SEC_OK && t->ell_sec.outcome != OMS_SEC_PLAIN_FLAGGED)
                    return fail(t, pos, "%s", t->ell_sec.why);
                pos += 2; /* payload CRC */
            }
        } else if (ci == CI_AFL && !t->has_afl) {
            if (wmbus_afl_parse(t->buf + pos, end - pos, &t->afl, &we) != WMBUS_OK)
                return fail(t, pos + we.offset, "%s", we.msg);
            t->has_afl = true;
            pos += t->afl.len;
        } else {
            break;
        }
    }
    t->has_ci = true;
    t->ci = t->buf[pos];
    t->ci_pos = pos;
    /* CI 0x73/0x77 on a wired bus: the fixed data structure of EN 1434-3;
     * on the radio 0x73 is a compact frame behind a long header */
    bool wired_fixed = t->kind == TELEGRAM_MBUS && (t->ci == 0x73 || t->ci == 0x77);
    t->ci_info = wired_fixed ? NULL : wmbus_ci_info_of(t->ci);
    if (t->ci_info && t->ci_info->to_device)
        return fail(t, pos, "CI 0x%02X is not supported (%s: sent to a meter, not by one)", t->ci,
                    t->ci_info->name);
    if (t->ci_info)
        return decode_transport(d, t, end);
    /* fixed data structure, application error without header, or a CI the
     * M-Bus codec names as unsupported */
    mbus_error e;
    if (mbus_app_decode(t->ci, t->buf + pos + 1, end - pos - 1, &t->app, &e) != MBUS_OK) {
        if (e.code == MBUS_ERR_CI) /* the CI itself is the bad byte */
            return fail(t, pos, "CI 0x%02X is not supported", t->ci);
        return fail_mbus(t, pos + 1, &e);
    }
    return true;
}

/* ---- link layers ----------------------------------------------------------- */
static bool decode_wired(decoder *d, const uint8_t *bytes, size_t len, telegram *t) {
    t->kind = TELEGRAM_MBUS;
    mbus_frame f;
    mbus_error e;
    if (mbus_frame_parse_exact(bytes, len, &f, &e) != MBUS_OK) {
        const char *reason = strstr(e.msg, ": ");
        return fail(t, e.offset, "%s", reason ? reason + 2 : mbus_err_name(e.code));
    }
    memcpy(t->buf, bytes, f.frame_len);
    t->len = f.frame_len;
    if (f.kind == MBUS_FRAME_ACK)
        return true;
    t->has_c = true;
    t->c = f.c;
    t->c_name = wmbus_c_name(f.c);
    t->has_address = true;
    t->address = f.a;
    if (f.kind == MBUS_FRAME_SHORT)
        return true;
    /* a control frame is a long frame without data */
    return decode_from_ci(d, t, WIRED_CI_POS, t->len - 2);
}

static bool decode_wireless(decoder *d, const uint8_t *bytes, size_t len, telegram *t) {
    t->kind = TELEGRAM_WMBUS;
    wmbus_error we;
    if (len > 2 * WMBUS_FRAME_MAX)
        return fail(t, 2 * WMBUS_FRAME_MAX, "wireless frame of %zu bytes is too long", len);
    size_t used;
    if (wmbus_frame_strip_prefix(bytes, len, t->buf, sizeof t->buf, &t->len, &t->format, &used,
                                 &we) != WMBUS_OK)
        return fail(t, we.offset, "%s", we.msg);
    t->trailing_len = len - used;
    memcpy(t->trailing, bytes + used, t->trailing_len);
    if (wmbus_link_parse(t->buf, t->len, &t->link, &we) != WMBUS_OK)
        return fail(t, we.offset, "%s", we.msg);
    t->has_link = true;
    t->has_c = true;
    t->c = t->link.c;
    t->c_name = wmbus_c_name(t->c);
    t->meter = t->link.addr;
    t->has_meter = true;
    return decode_from_ci(d, t, WMBUS_LINK_HEADER_LEN, t->len);
}

/* Would len bytes fit a wireless frame with L = l (plain, format B, format A)? */
static bool fits_wireless(unsigned l, size_t len) {
    if (l < WMBUS_LINK_HEADER_LEN)
        return false;
    size_t rest = l - (WMBUS_LINK_HEADER_LEN - 1);
    return len == (size_t)l + 1 || len == WMBUS_LINK_HEADER_LEN + 2 + rest + 2 * ((rest + 15) / 16);
}

/* A wired frame starts with 68/10/E5; a wireless L field may be one of those
 * too, so a length that fits a wireless frame needs the whole wired shape. */
static bool looks_wired(const uint8_t *b, size_t len) {
    if (len == 1 && b[0] == 0xE5)
        return true;
    if (len == 5 && b[0] == 0x10 && b[4] == 0x16)
        return true;
    return len >= 9 && b[0] == 0x68 && b[3] == 0x68 && b[1] == b[2] && b[len - 1] == 0x16 &&
           len == (size_t)b[1] + 6;
}

/* The start of a wired frame: 68 L L 68, a whole short frame or E5. */
static bool wired_head(const uint8_t *b, size_t len) {
    return (len >= 4 && b[0] == 0x68 && b[3] == 0x68 && b[1] == b[2]) ||
           (len == 5 && b[0] == 0x10) || (len == 1 && b[0] == 0xE5);
}

bool decode_telegram(decoder *d, const uint8_t *bytes, size_t len, telegram *t) {
    reset(t);
    if (len == 0) {
        t->kind = TELEGRAM_WMBUS;
        return fail(t, 0, "empty telegram");
    }
    bool wired_start = bytes[0] == 0x68 || bytes[0] == 0x10 || bytes[0] == 0xE5;
    /* longer than a wireless L says, and not shaped like a wired frame: a
     * wireless frame with trailing bytes */
    bool wireless_trailing = len > (size_t)bytes[0] + 1 && !wired_head(bytes, len);
    if (looks_wired(bytes, len) || (wired_start && !fits_wireless(bytes[0], len) && !wireless_trailing))
        return decode_wired(d, bytes, len, t);
    return decode_wireless(d, bytes, len, t);
}

/* One outcome for the telegram: an ELL that failed decides (nothing
 * behind it was read); else the transport layer's when it is protected;
 * else the ELL's (none, ok or plain_flagged_encrypted). */
const char *decode_security_name(const telegram *t) {
    oms_sec_outcome ell = t->ell_sec.outcome;
    if (ell != OMS_SEC_NONE && ell != OMS_SEC_OK && ell != OMS_SEC_PLAIN_FLAGGED)
        return oms_sec_name(ell);
    if (t->sec.outcome != OMS_SEC_NONE)
        return oms_sec_name(t->sec.outcome);
    return oms_sec_name(ell);
}
