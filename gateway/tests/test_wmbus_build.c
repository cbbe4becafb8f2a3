/* Telegrams built from records (wmbus_build) decode back through gwd's
 * decoder: in the clear, mode 5 and mode 7, with right, wrong and no key,
 * and a corrupted MAC. */
#include "codec/decode/decode.h"
#include "codec/mbus/mbus_app.h"
#include "tests/test.h"
#include "codec/wmbus/wmbus_build.h"

static const uint8_t KEY[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
static const uint8_t OTHER[16] = {1};

static size_t volume_record(uint8_t *out, int64_t litres) {
    mbus_enc_record r = {.vif = {0x13}, .n_vif = 1, .coding = MBUS_ENC_INT, .size = 4, .raw = litres};
    return mbus_encode_record(&r, out, 32);
}

static size_t build(decoder *d, unsigned mode, bool corrupt, uint8_t *f) {
    uint8_t rec[32];
    size_t n = volume_record(rec, 123456);
    wmbus_build b = {.c = 0x44, .manufacturer = wmbus_manufacturer_code("KAM"), .id_bcd = 0x12345678,
                     .version = 0x1B, .device_type = 0x07, .access_number = 0x42, .mode = mode,
                     .key = KEY, .counter = 0x1000 + 7, .corrupt_mac = corrupt};
    return wmbus_build_frame(d->crypto, &b, rec, n, f, WMBUS_FRAME_MAX);
}

static void decode_with(decoder *d, const uint8_t *key, const uint8_t *f, size_t n, telegram *t) {
    d->keys.n = 0;
    d->keys.has_default = key != NULL;
    if (key)
        memcpy(d->keys.default_key, key, 16);
    decode_telegram(d, f, n, t);
}

static void check_value(const telegram *t) {
    CHECK_INT(t->app.n_records, 1);
    if (t->app.n_records == 1)
        CHECK_NEAR(t->app.records[0].value, 123.456, 1e-9);
}

int main(void) {
    static telegram t;
    decoder *d = decoder_new();
    uint8_t f[WMBUS_FRAME_MAX];
    CHECK_INT(wmbus_manufacturer_code("KAM"), 0x2C2D);
    CHECK_INT(wmbus_manufacturer_code("kam"), 0);

    size_t n = build(d, 0, false, f);
    CHECK(n > 0 && f[0] == n - 1);
    decode_with(d, NULL, f, n, &t);
    CHECK_STR(decode_security_name(&t), "none");
    CHECK_INT(t.tpl.access_number, 0x42);
    CHECK_STR(t.meter.man, "KAM");
    check_value(&t);

    for (unsigned mode = 5; mode <= 7; mode += 2) {
        n = build(d, mode, false, f);
        CHECK(n > 0);
        decode_with(d, KEY, f, n, &t);
        CHECK_MSG(t.sec.outcome == OMS_SEC_OK, "mode %u: %s", mode, t.sec.why);
        check_value(&t);
        decode_with(d, OTHER, f, n, &t);
        CHECK_INT(t.sec.outcome, OMS_SEC_WRONG_KEY);
        decode_with(d, NULL, f, n, &t);
        CHECK_INT(t.sec.outcome, OMS_SEC_NO_KEY);
    }
    n = build(d, 7, true, f);
    decode_with(d, KEY, f, n, &t);
    CHECK_INT(t.sec.outcome, OMS_SEC_MAC_MISMATCH);
    /* format A and B CRCs on a built frame strip back to the same frame */
    n = build(d, 5, false, f);
    uint8_t a[WMBUS_FRAME_MAX + 40];
    size_t na = wmbus_frame_add_crcs(f, n, WMBUS_FMT_A, a, sizeof a);
    decode_with(d, KEY, a, na, &t);
    CHECK_INT(t.format, WMBUS_FMT_A);
    CHECK_INT(t.sec.outcome, OMS_SEC_OK);
    wmbus_build bad = {.mode = 5, .key = NULL};
    CHECK_INT(wmbus_build_frame(d->crypto, &bad, f, 2, f, sizeof f), 0);
    decoder_free(d);
    return test_summary("test_wmbus_build");
}
