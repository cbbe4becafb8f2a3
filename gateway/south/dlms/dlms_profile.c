/* dlms_profile: columns and the window of stored entries of a profile (see dlms_profile.h). */
#include "south/dlms/dlms_profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/dlms/dlms_axdr.h"

/* ---- capture objects -------------------------------------------------------------- */

/* Tolerant in the integer types (some meters send the attribute as unsigned). */
static bool read_capture_def(axdr_reader *r, dlms_column *c) {
    dlms_value s, cls, ln, attr, idx;
    int64_t ci, ai, di;
    if (!axdr_value(r, &s) || s.type != DT_STRUCTURE || s.count != 4)
        return axdr_fail(r, "capture object is not a structure of 4");
    if (!axdr_value(r, &cls) || !axdr_value(r, &ln) || !axdr_value(r, &attr) || !axdr_value(r, &idx)) return false;
    if (!dlms_value_is_integer(&cls, &ci) || ln.type != DT_OCTET_STRING || ln.len != 6 ||
        !dlms_value_is_integer(&attr, &ai) || !dlms_value_is_integer(&idx, &di) || ci < 0 || ci > 0xFFFF ||
        ai < -128 || ai > 127)
        return axdr_fail(r, "capture object of unexpected types");
    memset(c, 0, sizeof *c);
    c->class_id = (uint16_t)ci;
    memcpy(c->obis, ln.bytes, 6);
    c->attr = (int8_t)ai;
    c->data_index = (uint16_t)di;
    /* register value (3, 4: attribute 2; demand register 5: current and last average, 2 and 3) */
    c->scaled = ((c->class_id == 3 || c->class_id == 4) && c->attr == 2) ||
                (c->class_id == 5 && (c->attr == 2 || c->attr == 3));
    return true;
}

bool dlms_profile_set_columns(dlms_profile *p, const uint8_t *data, size_t len, const char **why) {
    axdr_reader r;
    dlms_value a;
    axdr_reader_init(&r, data, len);
    if (!axdr_value(&r, &a) || a.type != DT_ARRAY || a.count < 2 || a.count > 256) {
        *why = "capture objects are not an array of at least 2";
        return false;
    }
    dlms_column *cols = calloc(a.count, sizeof *cols);
    if (!cols) {
        *why = "out of memory";
        return false;
    }
    for (size_t i = 0; i < a.count; i++)
        if (!read_capture_def(&r, &cols[i])) {
            *why = r.err ? r.err : "capture objects truncated";
            free(cols);
            return false;
        }
    free(p->cols);
    p->cols = cols;
    p->n_cols = a.count;
    p->have_cols = true;
    return true;
}

void dlms_profile_forget_columns(dlms_profile *p) {
    free(p->cols);
    p->cols = NULL;
    p->n_cols = 0;
    p->have_cols = false;
}

int dlms_column_su_attr(const dlms_column *c) {
    if (!c->scaled) return 0;
    return c->class_id == 5 ? 4 : 3;
}

bool dlms_profile_next_su(const dlms_profile *p, size_t from, size_t *col) {
    for (size_t i = from; i < p->n_cols; i++)
        if (p->cols[i].scaled && !p->cols[i].have_su && !p->cols[i].su_failed) {
            *col = i;
            return true;
        }
    return false;
}

void dlms_column_name(const dlms_column *c, char *out, size_t cap) {
    char obis[32];
    dlms_obis_format(c->obis, obis, sizeof obis);
    snprintf(out, cap, "%s/%d", obis, c->attr);
}

/* ---- entry identity --------------------------------------------------------------- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

uint64_t dlms_entry_id_start(int64_t ts) { return fnv(FNV_OFFSET, &ts, sizeof ts); }

uint64_t dlms_entry_id_stored(uint64_t h, bool has_number, double number, const char *text) {
    /* as SQLite keeps them: NaN becomes NULL, -0.0 may come back as 0 */
    if (has_number && isnan(number)) has_number = false, text = NULL;
    if (has_number && number == 0) number = 0;
    uint8_t kind = has_number ? 'n' : text ? 't' : '0';
    h = fnv(h, &kind, 1);
    if (has_number) return fnv(h, &number, sizeof number);
    return text ? fnv(h, text, strlen(text) + 1) : h;
}

/* Bytes as the store writes them: "AB CD" (upper-case hex, space separated). */
static uint64_t id_hex(uint64_t h, const uint8_t *b, size_t n) {
    static const char digits[] = "0123456789ABCDEF";
    uint8_t kind = 't';
    h = fnv(h, &kind, 1);
    for (size_t i = 0; i < n; i++) {
        char two[3] = {' ', digits[b[i] >> 4], digits[b[i] & 0xF]};
        h = i ? fnv(h, two, 3) : fnv(h, two + 1, 2);
    }
    return fnv(h, "", 1);
}

uint64_t dlms_entry_id_value(uint64_t h, const dp_value *v) {
    switch (v->type) {
    case DP_BOOL: return dlms_entry_id_stored(h, true, v->b ? 1.0 : 0.0, NULL);
    case DP_INT: return dlms_entry_id_stored(h, true, (double)v->i, NULL);
    case DP_DOUBLE: return dlms_entry_id_stored(h, true, v->d, NULL);
    case DP_STRING: return dlms_entry_id_stored(h, false, 0, v->s);
    case DP_BYTES: return id_hex(h, v->bytes, v->len);
    case DP_NONE: break;
    }
    return dlms_entry_id_stored(h, false, 0, NULL);
}

/* ---- window ------------------------------------------------------------------------ */

bool dlms_profile_seen(const dlms_profile *p, int64_t ts, uint64_t id) {
    for (size_t i = 0; i < p->n_seen; i++)
        if (p->seen[i].ts == ts && p->seen[i].id == id) return true;
    return false;
}

bool dlms_profile_remember(dlms_profile *p, int64_t ts, uint64_t id) {
    if (p->n_seen == p->cap_seen) {
        size_t cap = p->cap_seen ? 2 * p->cap_seen : 16;
        dlms_seen *s = realloc(p->seen, cap * sizeof *s);
        if (!s) return false;
        p->seen = s;
        p->cap_seen = cap;
    }
    p->seen[p->n_seen++] = (dlms_seen){ts, id};
    return true;
}

void dlms_profile_advance(dlms_profile *p, int64_t newest_ns) {
    if (newest_ns > p->from_ns) p->from_ns = newest_ns;
    size_t k = 0;
    for (size_t i = 0; i < p->n_seen; i++)
        if (p->seen[i].ts >= p->from_ns) p->seen[k++] = p->seen[i];
    p->n_seen = k;
}

void dlms_profile_free(dlms_profile *p) {
    dlms_profile_forget_columns(p);
    free(p->seen);
    memset(p, 0, sizeof *p);
}
