/* telegram_edit: edits of fixture telegrams (see telegram_edit.h). */
#include "sim/mbus/telegram_edit.h"
#include <stdlib.h>
#include <string.h>
#include "codec/mbus/mbus_app.h"

bool tg_is_long(const hex_frame *t) {
    if (t->len < 9 || t->bytes[0] != 0x68 || t->bytes[3] != 0x68) return false;
    if (t->bytes[1] != t->bytes[2]) return false;
    return (size_t)t->bytes[1] + 6 == t->len && t->bytes[t->len - 1] == 0x16;
}

void tg_fix_checksum(hex_frame *t) {
    if (!tg_is_long(t)) return;
    uint8_t cs = 0;
    for (size_t i = 4; i < t->len - 2; i++) cs = (uint8_t)(cs + t->bytes[i]);
    t->bytes[t->len - 2] = cs;
}

void tg_set_address(hex_frame *t, uint8_t a) {
    if (!tg_is_long(t)) return;
    t->bytes[5] = a;
    tg_fix_checksum(t);
}

static bool has_long_header(const hex_frame *t) {
    return tg_is_long(t) && (t->bytes[6] == 0x72 || t->bytes[6] == 0x76) && t->len >= 7 + 12 + 2;
}

bool tg_set_id(hex_frame *t, uint32_t id_bcd) {
    if (!has_long_header(t)) return false;
    for (int i = 0; i < 4; i++) t->bytes[7 + i] = (uint8_t)(id_bcd >> (8 * i));
    tg_fix_checksum(t);
    return true;
}

bool tg_secondary(const hex_frame *t, mbus_secondary *sa) {
    if (!has_long_header(t)) return false;
    mbus_secondary_decode(t->bytes + 7, sa);
    return true;
}

/* Look at the records: does the frame already say "more follows", and where
 * is a trailing 0x0F manufacturer DIF (offset in the frame, 0 when none)? */
static bool find_mfr_dif(const hex_frame *t, size_t *at) {
    *at = 0;
    mbus_data *data = malloc(sizeof *data);
    if (!data) return false;
    mbus_error err;
    bool more = false;
    const uint8_t *app = t->bytes + 7;
    size_t app_len = t->len - 9;
    if (mbus_app_decode(t->bytes[6], app, app_len, data, &err) == MBUS_OK) {
        more = data->more_follows;
        if (data->mfr_data && data->mfr_data > app && data->mfr_data[-1] == 0x0F)
            *at = (size_t)(data->mfr_data - 1 - t->bytes);
    }
    free(data);
    return more;
}

bool tg_set_more_follows(hex_frame *t) {
    if (!tg_is_long(t)) return false;
    size_t at;
    if (find_mfr_dif(t, &at)) return true;
    if (at) {
        t->bytes[at] = 0x1F;
        tg_fix_checksum(t);
        return true;
    }
    if (t->bytes[1] == 255) return false;
    uint8_t *b = realloc(t->bytes, t->len + 1);
    if (!b) return false;
    t->bytes = b;
    /* insert the DIF before CS and stop */
    b[t->len + 0] = 0x16;
    b[t->len - 1] = 0; /* checksum, recomputed below */
    b[t->len - 2] = 0x1F;
    t->len++;
    b[1] = b[2] = (uint8_t)(b[1] + 1);
    tg_fix_checksum(t);
    return true;
}

size_t tg_corrupt_checksum(const hex_frame *t, uint8_t *out, size_t cap) {
    if (t->len > cap) return 0;
    memcpy(out, t->bytes, t->len);
    if (t->len >= 2) out[t->len - 2] = (uint8_t)(out[t->len - 2] + 1);
    return t->len;
}
