/* libFuzzer target for the M-Bus codec: the input as a frame (link layer,
 * then its application layer), and the raw input as application data under
 * each CI the decoder knows. Built by `make fuzz-mbus`, not by `make`.
 * Checks invariants the decoder promises, so a violation aborts the run. */
#include <stdlib.h>
#include <string.h>
#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_link.h"

static mbus_data data;

static void check_decoded(mbus_err_code rc, size_t len, const mbus_error *err) {
    if (rc != MBUS_OK && (err->code != rc || err->offset > len || !strstr(err->msg, "at byte")))
        abort();
    if (data.n_records > MBUS_MAX_RECORDS)
        abort();
    for (size_t i = 0; i < data.n_records; i++) {
        const mbus_record *r = &data.records[i];
        if (!r->quantity || !r->unit || r->n_dif > 1 + MBUS_MAX_DIFE || r->n_vif > 1 + MBUS_MAX_VIFE)
            abort();
        /* an invalid number has no value and says why; a profile value
         * knows its place */
        if (r->invalid && r->kind == MBUS_VAL_NONE && r->text[0] == '\0')
            abort();
        if (r->profile && (r->profile_index > i || (r->dif[0] & 0x0F) != 0x0D))
            abort();
        if (memchr(r->text, '\0', sizeof r->text) == NULL ||
            memchr(r->vif_text, '\0', sizeof r->vif_text) == NULL)
            abort();
    }
}

static void decode_app(uint8_t ci, const uint8_t *buf, size_t len) {
    mbus_error err;
    mbus_err_code rc = mbus_app_decode(ci, buf, len, &data, &err);
    check_decoded(rc, len, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    mbus_frame fr;
    mbus_error err;
    size_t need = mbus_frame_needed(buf, len, &err);
    mbus_err_code rc = mbus_frame_parse(buf, len, &fr, &err);
    if (rc == MBUS_OK) {
        if (fr.frame_len > len || (need && need != fr.frame_len))
            abort();
        /* re-encoding a parsed long frame gives the same bytes */
        if (fr.kind == MBUS_FRAME_LONG) {
            uint8_t again[MBUS_FRAME_MAX];
            size_t n = mbus_encode_long(again, sizeof again, fr.c, fr.a, fr.ci, fr.data, fr.data_len);
            if (n != fr.frame_len || memcmp(again, buf, n) != 0)
                abort();
        }
        if (fr.kind == MBUS_FRAME_LONG || fr.kind == MBUS_FRAME_CONTROL)
            decode_app(fr.ci, fr.data, fr.data_len);
    }
    static const uint8_t cis[] = {0x70, 0x72, 0x73, 0x77, 0x78, 0x7A};
    for (size_t i = 0; i < sizeof cis; i++)
        decode_app(cis[i], buf, len);
    return 0;
}
