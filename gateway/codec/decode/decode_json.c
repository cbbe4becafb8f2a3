/* A decoded telegram as one JSON object. Fields are documented in
 * docs/decode.md. Numbers with an exact decimal form (integers and BCD
 * scaled by powers of ten) are written from their digits, so 2850427 at
 * 10^-2 is 28504.27 and never 28504.270000000001. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"

typedef struct jbuf {
    char *p;
    size_t n, cap;
    bool full;
} jbuf;

static void put_mem(jbuf *j, const char *s, size_t n) {
    if (j->full || n >= j->cap - j->n) {
        j->full = true;
        return;
    }
    memcpy(j->p + j->n, s, n);
    j->n += n;
}

static void put(jbuf *j, const char *s) {
    put_mem(j, s, strlen(s));
}

static void put_ch(jbuf *j, char ch) {
    put_mem(j, &ch, 1);
}

static void put_uint(jbuf *j, unsigned long long v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_mem(j, tmp + i, sizeof tmp - i);
}

static void put_int(jbuf *j, long long v) {
    if (v < 0) {
        put_ch(j, '-');
        put_uint(j, (unsigned long long)(-(v + 1)) + 1);
    } else {
        put_uint(j, (unsigned long long)v);
    }
}

/* JSON string: quotes, backslash and control characters escaped; bytes
 * >= 0x80 (meter text is not UTF-8) as \u00XX. */
static bool needs_escape(unsigned char ch) {
    return ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x7F;
}

static void put_str_n(jbuf *j, const char *s, size_t n, bool reversed) {
    static const char hex[] = "0123456789abcdef";
    if (!reversed) { /* the common case, names and ids: one copy */
        size_t k = 0;
        while (k < n && !needs_escape((unsigned char)s[k]))
            k++;
        if (k == n) {
            put_ch(j, '"');
            put_mem(j, s, n);
            put_ch(j, '"');
            return;
        }
    }
    put_ch(j, '"');
    for (size_t k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)(reversed ? s[n - 1 - k] : s[k]);
        if (ch == '"' || ch == '\\') {
            put_ch(j, '\\'), put_ch(j, (char)ch);
        } else if (ch < 0x20 || ch >= 0x7F) {
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 0xF]};
            put_mem(j, esc, 6);
        } else {
            put_ch(j, (char)ch);
        }
    }
    put_ch(j, '"');
}

static void put_str(jbuf *j, const char *s) {
    put_str_n(j, s, strlen(s), false);
}

static void put_hex(jbuf *j, const uint8_t *b, size_t n) {
    static const char digits[] = "0123456789ABCDEF";
    put_ch(j, '"');
    for (size_t i = 0; i < n; i++) {
        char pair[2] = {digits[b[i] >> 4], digits[b[i] & 0xF]};
        put_mem(j, pair, 2);
    }
    put_ch(j, '"');
}

/* ,"name": written straight into the buffer (every field passes here). */
static void key(jbuf *j, const char *name) {
    size_t len = strlen(name);
    if (j->full || len + 4 >= j->cap - j->n) {
        j->full = true;
        return;
    }
    char *o = j->p + j->n;
    if (j->n && o[-1] != '{' && o[-1] != '[')
        *o++ = ',';
    *o++ = '"';
    memcpy(o, name, len);
    o += len;
    *o++ = '"';
    *o++ = ':';
    j->n = (size_t)(o - j->p);
}

static void key_str(jbuf *j, const char *name, const char *v) {
    key(j, name);
    put_str(j, v);
}

static void key_int(jbuf *j, const char *name, long long v) {
    key(j, name);
    put_int(j, v);
}

static void put_hex8(jbuf *j, unsigned v) {
    char text[5] = {'0', 'x', "0123456789ABCDEF"[(v >> 4) & 0xF], "0123456789ABCDEF"[v & 0xF], 0};
    put_str(j, text);
}

static void key_hex8(jbuf *j, const char *name, unsigned v) {
    key(j, name);
    put_hex8(j, v);
}

/* raw * 10^exp, exactly, from the digits. */
static void put_decimal(jbuf *j, long long raw, int exp) {
    if (raw == 0) {
        put_ch(j, '0');
        return;
    }
    if (raw < 0) {
        put_ch(j, '-');
    }
    unsigned long long u = raw < 0 ? (unsigned long long)(-(raw + 1)) + 1 : (unsigned long long)raw;
    char digits[24];
    size_t nd = 0;
    for (unsigned long long v = u; v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    /* digits[] holds the number least significant first */
    if (exp >= 0) {
        for (size_t i = nd; i-- > 0;)
            put_ch(j, digits[i]);
        for (int i = 0; i < exp; i++)
            put_ch(j, '0');
        return;
    }
    size_t frac = (size_t)-exp;
    if (frac >= nd) {
        put(j, "0.");
        for (size_t i = nd; i < frac; i++)
            put_ch(j, '0');
    } else {
        for (size_t i = nd; i-- > frac;)
            put_ch(j, digits[i]);
        put_ch(j, '.');
    }
    size_t stop = 0; /* trailing zeros of the fraction are dropped */
    while (stop < frac && stop < nd && digits[stop] == '0')
        stop++;
    for (size_t i = (frac < nd ? frac : nd); i-- > stop;)
        put_ch(j, digits[i]);
    if (j->p[j->n - 1] == '.')
        j->n--;
}

static void put_double(jbuf *j, double v) {
    if (!isfinite(v)) {
        put(j, "null");
        return;
    }
    char text[40];
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) != v)
        snprintf(text, sizeof text, "%.17g", v);
    put(j, text);
}

static void put_value(jbuf *j, const telegram *t, const mbus_record *r) {
    switch (r->kind) {
    case MBUS_VAL_NUMBER:
        if (r->has_raw && r->unit_mult == 1.0 && r->scale_exp > -19 && r->scale_exp < 19)
            put_decimal(j, r->raw_int, r->scale_exp);
        else
            put_double(j, r->value);
        return;
    case MBUS_VAL_DATE:
    case MBUS_VAL_STRING:
        if (r->kind == MBUS_VAL_STRING)
            put_str_n(j, (const char *)r->data, r->data_len, true);
        else
            put_str(j, r->text);
        return;
    case MBUS_VAL_BYTES:
        if ((r->dif[0] & 0x0F) == 0x0F)
            put_hex(j, t->app.mfr_data, t->app.mfr_len);
        else
            put_hex(j, r->data, r->data_len);
        return;
    case MBUS_VAL_NONE: put(j, "null"); return;
    }
    put(j, "null");
}

/* Orthogonal VIFEs that do not scale the value: named, so "per_hour" and
 * the like are not lost. */
static void put_vifes(jbuf *j, const mbus_record *r) {
    size_t first = (r->vif[0] == 0xFD || r->vif[0] == 0xFB) ? 2 : 1;
    if ((r->vif[0] & 0x7F) == 0x7F)
        return;
    bool any = false;
    for (size_t i = first; i < r->n_vif; i++) {
        unsigned v = r->vif[i] & 0x7F;
        if ((v >= 0x70 && v <= 0x77) || v == 0x7D)
            continue;
        if (!any)
            key(j, "vife"), put_ch(j, '['), any = true;
        else
            put_ch(j, ',');
        if (v == 0x7C && i + 1 < r->n_vif)
            put_str(j, mbus_vife2_name(r->vif[++i])); /* second combinable table */
        else
            put_str(j, mbus_vife_name(r->vif[i]));
        if (v == 0x7F)
            break;
    }
    if (any)
        put_ch(j, ']');
}

/* Where a value of a compact profile lies: its element number, and its time
 * relative to the record's storage (seconds, or months in half steps). */
static void put_profile(jbuf *j, const mbus_record *r) {
    key_str(j, "profile", mbus_vife_name(r->profile));
    key_int(j, "profile_index", r->profile_index);
    if (!r->profile_timed)
        return;
    if (!r->profile_months) {
        key_int(j, "time_offset_s", r->profile_offset);
        return;
    }
    key(j, "time_offset_months");
    put_decimal(j, r->profile_offset * 5, -1); /* half months: -3 -> -1.5 */
}

static void put_record(jbuf *j, const telegram *t, const mbus_record *r) {
    put_ch(j, '{');
    key(j, "dif");
    put_hex(j, r->dif, r->n_dif);
    key(j, "vif");
    put_hex(j, r->vif, r->n_vif);
    key_str(j, "function", mbus_function_name(r->function));
    key_int(j, "storage", (long long)r->storage);
    key_int(j, "tariff", r->tariff);
    key_int(j, "subunit", r->subunit);
    key_str(j, "quantity", r->quantity);
    key_str(j, "unit", r->unit);
    if (r->vif_text[0])
        key_str(j, "vif_text", r->vif_text);
    put_vifes(j, r);
    key(j, "value");
    put_value(j, t, r);
    if (r->invalid)
        key(j, "invalid"), put(j, "true");
    if (r->invalid && r->kind == MBUS_VAL_NONE && r->text[0])
        key_str(j, "invalid_reason", r->text);
    if (r->profile)
        put_profile(j, r);
    put_ch(j, '}');
}

/* The device type's name when the table has one, else its code as hex;
 * the code itself always. */
static void put_device_type(jbuf *j, uint8_t code) {
    const char *name = mbus_medium_name(code);
    key(j, "device_type");
    if (strcmp(name, "unknown") == 0)
        put_hex8(j, code);
    else
        put_str(j, name);
    key_int(j, "device_type_code", code);
}

static void put_address(jbuf *j, const wmbus_address *a) {
    key_str(j, "manufacturer", a->man);
    key_str(j, "id", a->id);
    key_int(j, "version", a->version);
    put_device_type(j, a->device_type);
}

static void put_link(jbuf *j, const telegram *t) {
    key_str(j, "format", wmbus_format_name(t->format));
    key(j, "link");
    put_ch(j, '{');
    key_hex8(j, "c", t->link.c);
    put_address(j, &t->link.addr);
    put_ch(j, '}');
}

static void put_ell(jbuf *j, const telegram *t) {
    key(j, "ell");
    put_ch(j, '{');
    key_hex8(j, "ci", t->ell.ci);
    key_int(j, "cc", t->ell.cc);
    key_int(j, "access_number", t->ell.acc);
    if (t->ell.has_addr)
        put_address(j, &t->ell.addr);
    if (t->ell.has_sn) {
        key_int(j, "session_number", t->ell.sn);
        key_int(j, "encryption", t->ell.enc);
        key_str(j, "security", oms_sec_name(t->ell_sec.outcome));
    }
    put_ch(j, '}');
}

static void put_afl(jbuf *j, const telegram *t) {
    const wmbus_afl *a = &t->afl;
    key(j, "afl");
    put_ch(j, '{');
    key_int(j, "fcl", a->fcl);
    key_int(j, "fragment_id", a->fragment_id);
    if (a->has_mcl)
        key_int(j, "mcl", a->mcl);
    if (a->has_ki)
        key_int(j, "key_info", a->ki);
    if (a->has_mcr)
        key_int(j, "message_counter", a->mcr);
    if (a->has_mac)
        key(j, "mac"), put_hex(j, a->mac, a->mac_len);
    if (a->has_ml)
        key_int(j, "message_length", a->ml);
    put_ch(j, '}');
}

/* Identity and header fields of the meter. */
static void put_header(jbuf *j, const telegram *t) {
    const mbus_header *h = &t->app.hdr;
    if (t->has_meter)
        put_address(j, &t->meter);
    else if (h->present && t->app.fixed)
        key_str(j, "id", h->id), put_device_type(j, h->medium);
    if (!t->has_ci) {
        /* nothing behind a failed ELL was read: its outcome is the telegram's */
        key_str(j, "security", decode_security_name(t));
        return;
    }
    if (t->ci_info)
        key_str(j, "ci_kind", t->ci_info->name);
    key_hex8(j, "ci", t->ci);
    if (t->has_tpl && t->tpl.kind != WMBUS_TPL_NONE) {
        key_int(j, "access_number", t->tpl.access_number);
        key_int(j, "status", t->tpl.status);
        key_int(j, "configuration", t->tpl.cf);
        key_int(j, "security_mode", t->tpl.mode);
        if (oms_mode_encrypts(t->tpl.mode))
            key_int(j, "encrypted_blocks", t->tpl.blocks);
    } else if (h->present && t->app.fixed) {
        key_int(j, "access_number", h->access_number);
        key_int(j, "status", h->status);
        key_int(j, "security_mode", 0);
    } else {
        key_int(j, "security_mode", 0);
    }
    key_str(j, "security", decode_security_name(t));
}

/* A compact frame's header and values, and payloads not decoded here. */
static void put_payload(jbuf *j, const telegram *t) {
    if (t->has_compact) {
        key(j, "compact_frame");
        put_ch(j, '{');
        key_int(j, "format_signature", t->format_signature);
        key_int(j, "frame_crc", t->frame_crc);
        key(j, "data"), put_hex(j, t->compact_data, t->compact_len);
        put_ch(j, '}');
    }
    if (t->apl_data && t->apl_len)
        key(j, "apl_data"), put_hex(j, t->apl_data, t->apl_len);
}

size_t decode_json(const telegram *t, char *out, size_t cap) {
    jbuf j = {out, 0, cap, cap == 0};
    put_ch(&j, '{');
    key_str(&j, "kind", t->kind == TELEGRAM_MBUS ? "mbus" : "wmbus");
    if (t->has_c) {
        key(&j, "c_field");
        if (t->c_name)
            put_str(&j, t->c_name);
        else
            put_hex8(&j, t->c);
    } else if (t->kind == TELEGRAM_MBUS && t->len == 1) {
        key_str(&j, "c_field", "ACK");
    }
    if (t->has_address)
        key_int(&j, "address", t->address);
    if (t->has_link)
        put_link(&j, t);
    if (t->has_ell)
        put_ell(&j, t);
    if (t->has_afl)
        put_afl(&j, t);
    put_header(&j, t);
    if (t->alarm)
        key(&j, "alarm"), put_hex(&j, t->alarm, t->alarm_len);
    put_payload(&j, t);
    if (t->app.app_error >= 0)
        key_int(&j, "application_error", t->app.app_error);
    key(&j, "records");
    put_ch(&j, '[');
    for (size_t i = 0; i < t->app.n_records; i++) {
        if (i)
            put_ch(&j, ',');
        put_record(&j, t, &t->app.records[i]);
    }
    put_ch(&j, ']');
    if (t->app.more_follows)
        key(&j, "more_records_follow"), put(&j, "true");
    if (t->trailing_len) {
        key(&j, "trailing_bytes");
        put_hex(&j, t->trailing, t->trailing_len);
    }
    if (t->has_error) {
        key_str(&j, "error", t->error);
        key_int(&j, "error_offset", (long long)t->error_offset);
    }
    put_ch(&j, '}');
    if (j.full || j.n >= cap)
        return 0;
    out[j.n] = '\0';
    return j.n;
}
