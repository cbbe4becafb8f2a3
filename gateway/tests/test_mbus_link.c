/* EN 13757-2 link layer: every error with its offset, streaming length
 * detection, encoder round trips, secondary addresses and wildcards. */
#include "codec/mbus/mbus_link.h"
#include "tests/test.h"

static mbus_err_code parse(const uint8_t *b, size_t n, mbus_frame *f, mbus_error *e) {
    return mbus_frame_parse(b, n, f, e);
}

static void test_ack_and_short(void) {
    mbus_frame f;
    mbus_error e;
    const uint8_t ack[] = {0xE5};
    CHECK_INT(parse(ack, 1, &f, &e), MBUS_OK);
    CHECK_INT(f.kind, MBUS_FRAME_ACK);
    CHECK_INT(f.frame_len, 1);

    const uint8_t req[] = {0x10, 0x5B, 0x01, 0x5C, 0x16};
    CHECK_INT(parse(req, 5, &f, &e), MBUS_OK);
    CHECK_INT(f.kind, MBUS_FRAME_SHORT);
    CHECK_INT(f.c, 0x5B);
    CHECK_INT(f.a, 0x01);
    CHECK_INT(f.frame_len, 5);

    const uint8_t bad_cs[] = {0x10, 0x5B, 0x01, 0x5D, 0x16};
    CHECK_INT(parse(bad_cs, 5, &f, &e), MBUS_ERR_CHECKSUM);
    CHECK_INT(e.offset, 3);
    CHECK(strstr(e.msg, "at byte 3") != NULL);

    const uint8_t bad_stop[] = {0x10, 0x5B, 0x01, 0x5C, 0x17};
    CHECK_INT(parse(bad_stop, 5, &f, &e), MBUS_ERR_STOP);
    CHECK_INT(e.offset, 4);

    CHECK_INT(parse(req, 3, &f, &e), MBUS_ERR_INCOMPLETE);
    CHECK_INT(e.offset, 3);

    const uint8_t junk[] = {0x42, 0x00};
    CHECK_INT(parse(junk, 2, &f, &e), MBUS_ERR_START);
    CHECK_INT(e.offset, 0);
    CHECK(strstr(e.msg, "0x42") != NULL);
    CHECK_INT(parse(junk, 0, &f, &e), MBUS_ERR_INCOMPLETE);
}

/* 68 L L 68 C A CI data CS 16 from the corpus (ACW Itron BM +m, shortened). */
static void test_long_and_control(void) {
    uint8_t fr[] = {0x68, 0x05, 0x05, 0x68, 0x08, 0x01, 0x72, 0xAA, 0xBB, 0x00, 0x16};
    fr[9] = (uint8_t)(0x08 + 0x01 + 0x72 + 0xAA + 0xBB);
    mbus_frame f;
    mbus_error e;
    CHECK_INT(parse(fr, sizeof fr, &f, &e), MBUS_OK);
    CHECK_INT(f.kind, MBUS_FRAME_LONG);
    CHECK_INT(f.c, 0x08);
    CHECK_INT(f.a, 0x01);
    CHECK_INT(f.ci, 0x72);
    CHECK_INT(f.data_len, 2);
    CHECK(f.data == fr + 7);
    CHECK_INT(f.frame_len, 11);

    const uint8_t ctl[] = {0x68, 0x03, 0x03, 0x68, 0x53, 0xFE, 0x50, 0xA1, 0x16};
    CHECK_INT(parse(ctl, sizeof ctl, &f, &e), MBUS_OK);
    CHECK_INT(f.kind, MBUS_FRAME_CONTROL);
    CHECK_INT(f.ci, 0x50);
    CHECK_INT(f.data_len, 0);

    /* each fault at its own offset */
    uint8_t b[sizeof fr];
    memcpy(b, fr, sizeof b);
    b[2] = 0x06;
    CHECK_INT(parse(b, sizeof b, &f, &e), MBUS_ERR_LENGTH);
    CHECK_INT(e.offset, 2);
    memcpy(b, fr, sizeof b);
    b[1] = b[2] = 0x02;
    CHECK_INT(parse(b, sizeof b, &f, &e), MBUS_ERR_LENGTH);
    CHECK_INT(e.offset, 1);
    memcpy(b, fr, sizeof b);
    b[3] = 0x67;
    CHECK_INT(parse(b, sizeof b, &f, &e), MBUS_ERR_START);
    CHECK_INT(e.offset, 3);
    memcpy(b, fr, sizeof b);
    b[9] ^= 1;
    CHECK_INT(parse(b, sizeof b, &f, &e), MBUS_ERR_CHECKSUM);
    CHECK_INT(e.offset, 9);
    CHECK(strstr(e.msg, "at byte 9") != NULL);
    memcpy(b, fr, sizeof b);
    b[10] = 0x00;
    CHECK_INT(parse(b, sizeof b, &f, &e), MBUS_ERR_STOP);
    CHECK_INT(e.offset, 10);
    CHECK_INT(parse(fr, 10, &f, &e), MBUS_ERR_INCOMPLETE);
    CHECK_INT(parse(fr, 2, &f, &e), MBUS_ERR_INCOMPLETE);

    /* trailing bytes: fine for parse, an error for parse_exact */
    uint8_t two[sizeof fr + 1];
    memcpy(two, fr, sizeof fr);
    two[sizeof fr] = 0xE5;
    CHECK_INT(parse(two, sizeof two, &f, &e), MBUS_OK);
    CHECK_INT(f.frame_len, sizeof fr);
    CHECK_INT(mbus_frame_parse_exact(two, sizeof two, &f, &e), MBUS_ERR_TOO_LONG);
    CHECK_INT(e.offset, sizeof fr);
    CHECK_INT(mbus_frame_parse_exact(fr, sizeof fr, &f, &e), MBUS_OK);
}

/* A receiver feeding bytes one at a time learns the length as soon as it can. */
static void test_streaming(void) {
    uint8_t data[40];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    uint8_t fr[MBUS_FRAME_MAX];
    size_t n = mbus_encode_long(fr, sizeof fr, MBUS_C_RSP_UD, 5, 0x72, data, sizeof data);
    CHECK_INT(n, sizeof data + 9);
    mbus_error e;
    CHECK_INT(mbus_frame_needed(fr, 0, &e), 0);
    CHECK_INT(e.code, MBUS_OK);
    CHECK_INT(mbus_frame_needed(fr, 1, &e), 0);
    CHECK_INT(e.code, MBUS_OK);
    size_t complete_at = 0;
    for (size_t have = 2; have <= n; have++) {
        size_t need = mbus_frame_needed(fr, have, &e);
        CHECK_INT(need, n);
        CHECK_INT(e.code, MBUS_OK);
        mbus_frame f;
        mbus_err_code rc = mbus_frame_parse(fr, have, &f, &e);
        if (rc == MBUS_OK && !complete_at)
            complete_at = have;
        else if (have < n)
            CHECK_INT(rc, MBUS_ERR_INCOMPLETE);
    }
    CHECK_INT(complete_at, n);

    const uint8_t ack = 0xE5, sh[] = {0x10, 0x40};
    CHECK_INT(mbus_frame_needed(&ack, 1, &e), 1);
    CHECK_INT(mbus_frame_needed(sh, 1, &e), 5);
    const uint8_t junk = 0x00;
    CHECK_INT(mbus_frame_needed(&junk, 1, &e), 0);
    CHECK_INT(e.code, MBUS_ERR_START);
    const uint8_t bad_l[] = {0x68, 0x10, 0x11};
    CHECK_INT(mbus_frame_needed(bad_l, 3, &e), 0);
    CHECK_INT(e.code, MBUS_ERR_LENGTH);
    CHECK_INT(e.offset, 2);
    const uint8_t short_l[] = {0x68, 0x02};
    CHECK_INT(mbus_frame_needed(short_l, 2, &e), 0);
    CHECK_INT(e.code, MBUS_ERR_LENGTH);
    CHECK_INT(e.offset, 1);
}

static void test_encoders(void) {
    uint8_t b[MBUS_FRAME_MAX];
    mbus_frame f;
    mbus_error e;
    CHECK_INT(mbus_encode_ack(b, 1), 1);
    CHECK_INT(b[0], 0xE5);
    CHECK_INT(mbus_encode_ack(b, 0), 0);

    CHECK_INT(mbus_encode_short(b, sizeof b, MBUS_C_SND_NKE, 0xFE), 5);
    const uint8_t nke[] = {0x10, 0x40, 0xFE, 0x3E, 0x16};
    CHECK(memcmp(b, nke, 5) == 0);
    CHECK_INT(mbus_encode_short(b, 4, 0x40, 1), 0);

    /* select secondary address 12345678, any manufacturer/version/medium */
    const uint8_t sel[] = {0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFF};
    size_t n = mbus_encode_long(b, sizeof b, MBUS_C_SND_UD, MBUS_ADDR_SELECTED, MBUS_CI_SELECT,
                                sel, sizeof sel);
    CHECK_INT(n, 17);
    CHECK_INT(b[1], 11);
    CHECK_INT(b[15], (0x53 + 0xFD + 0x52 + 0x78 + 0x56 + 0x34 + 0x12 + 4 * 0xFF) & 0xFF);
    CHECK_INT(mbus_frame_parse_exact(b, n, &f, &e), MBUS_OK);
    CHECK_INT(f.c, MBUS_C_SND_UD);
    CHECK_INT(f.a, MBUS_ADDR_SELECTED);
    CHECK_INT(f.ci, MBUS_CI_SELECT);
    CHECK_INT(f.data_len, 8);
    CHECK(memcmp(f.data, sel, 8) == 0);

    /* no data: a control frame */
    n = mbus_encode_long(b, sizeof b, MBUS_C_SND_UD, 1, MBUS_CI_APP_RESET, NULL, 0);
    CHECK_INT(n, 9);
    CHECK_INT(mbus_frame_parse_exact(b, n, &f, &e), MBUS_OK);
    CHECK_INT(f.kind, MBUS_FRAME_CONTROL);

    /* limits: 252 data bytes fit (L = 255), 253 do not; cap too small */
    uint8_t big[253] = {0};
    CHECK_INT(mbus_encode_long(b, sizeof b, 0x08, 1, 0x72, big, 252), MBUS_FRAME_MAX);
    CHECK_INT(mbus_frame_parse_exact(b, MBUS_FRAME_MAX, &f, &e), MBUS_OK);
    CHECK_INT(f.data_len, 252);
    CHECK_INT(mbus_encode_long(b, sizeof b, 0x08, 1, 0x72, big, 253), 0);
    CHECK_INT(mbus_encode_long(b, 10, 0x08, 1, 0x72, big, 5), 0);
}

static void test_secondary(void) {
    mbus_secondary a = {0x11490378, 0x0477 /* ACW */, 0x0E, 0x16}, back;
    uint8_t raw[8];
    mbus_secondary_encode(&a, raw);
    const uint8_t want[] = {0x78, 0x03, 0x49, 0x11, 0x77, 0x04, 0x0E, 0x16};
    CHECK(memcmp(raw, want, 8) == 0);
    mbus_secondary_decode(raw, &back);
    CHECK_INT(back.id_bcd, a.id_bcd);
    CHECK_INT(back.manufacturer, a.manufacturer);
    CHECK_INT(back.version, a.version);
    CHECK_INT(back.medium, a.medium);

    char text[17];
    mbus_secondary_format(&a, text);
    CHECK_STR(text, "1149037804770E16");
    mbus_secondary p;
    CHECK(mbus_secondary_parse("1149037804770E16", &p));
    CHECK(mbus_secondary_match(&p, &a));
    CHECK(mbus_secondary_parse("ffffffffffffffff", &p));
    CHECK(mbus_secondary_match(&p, &a));
    CHECK(!mbus_secondary_parse("1149037804770E1", &p));   /* too short */
    CHECK(!mbus_secondary_parse("1149037804770E160", &p)); /* too long */
    CHECK(!mbus_secondary_parse("11A9037804770E16", &p));  /* A is no BCD digit nor wildcard */
    CHECK(!mbus_secondary_parse("1149037804770G16", &p));

    /* wildcard nibbles select by digit position */
    CHECK(mbus_secondary_parse("11FFFFFFFFFFFFFF", &p));
    CHECK(mbus_secondary_match(&p, &a));
    CHECK(mbus_secondary_parse("12FFFFFFFFFFFFFF", &p));
    CHECK(!mbus_secondary_match(&p, &a));
    CHECK(mbus_secondary_parse("FFFFFFF8FFFFFFFF", &p));
    CHECK(mbus_secondary_match(&p, &a));
    CHECK(mbus_secondary_parse("FFFFFFF7FFFFFFFF", &p));
    CHECK(!mbus_secondary_match(&p, &a));
    CHECK(mbus_secondary_parse("F1F9F3F8FFFFFFFF", &p));
    CHECK(mbus_secondary_match(&p, &a));
    /* each non-id field alone */
    mbus_secondary any = {0xFFFFFFFF, 0xFFFF, 0xFF, 0xFF};
    mbus_secondary q = any;
    q.manufacturer = 0x0477;
    CHECK(mbus_secondary_match(&q, &a));
    q.manufacturer = 0x0478;
    CHECK(!mbus_secondary_match(&q, &a));
    q = any;
    q.version = 0x0E;
    CHECK(mbus_secondary_match(&q, &a));
    q.version = 0x0D;
    CHECK(!mbus_secondary_match(&q, &a));
    q.version = 0x0F; /* an F nibble is a wildcard in every field, as on the wire */
    CHECK(mbus_secondary_match(&q, &a));
    q = any;
    q.medium = 0x16;
    CHECK(mbus_secondary_match(&q, &a));
    q.medium = 0x07;
    CHECK(!mbus_secondary_match(&q, &a));
}

/* One type for an address and a mask: nibbles in text order, F = wildcard. */
static void test_secondary_mask(void) {
    mbus_secondary a = {0x11490378, 0x0477, 0x0E, 0x16}, m, any = mbus_secondary_any();
    char text[MBUS_SECONDARY_TEXT];
    mbus_secondary_format(&any, text);
    CHECK_STR(text, "FFFFFFFFFFFFFFFF");
    CHECK_INT(mbus_secondary_nibble(&a, 0), 1);
    CHECK_INT(mbus_secondary_nibble(&a, 7), 8);
    CHECK_INT(mbus_secondary_nibble(&a, 8), 0);
    CHECK_INT(mbus_secondary_nibble(&a, 11), 7);
    CHECK_INT(mbus_secondary_nibble(&a, 13), 0xE);
    CHECK_INT(mbus_secondary_nibble(&a, 15), 6);
    m = any;
    mbus_secondary_set_nibble(&m, 0, 1);
    mbus_secondary_set_nibble(&m, 9, 4);
    mbus_secondary_set_nibble(&m, 15, 6);
    mbus_secondary_format(&m, text);
    CHECK_STR(text, "1FFFFFFFF4FFFFF6");
    CHECK(mbus_secondary_match(&m, &a));
    mbus_secondary_set_nibble(&m, 9, 5);
    CHECK(!mbus_secondary_match(&m, &a)); /* one manufacturer nibble differs */
    CHECK_INT(mbus_secondary_first_wildcard(&m), 1);
    CHECK_INT(mbus_secondary_first_wildcard(&a), -1);
    CHECK_INT(mbus_secondary_first_wildcard(&any), 0);
    CHECK(mbus_secondary_id_complete(&a));
    CHECK(!mbus_secondary_id_complete(&m));
    CHECK(mbus_secondary_equal(&a, &a));
    CHECK(!mbus_secondary_equal(&a, &m));

    /* the configuration's form: 8 id digits, or all 16 */
    CHECK(mbus_secondary_parse_mask("11490378", &m));
    mbus_secondary_format(&m, text);
    CHECK_STR(text, "11490378FFFFFFFF");
    CHECK(mbus_secondary_match(&m, &a));
    CHECK(mbus_secondary_parse_mask("1149037804770e16", &m));
    CHECK(mbus_secondary_equal(&m, &a));
    CHECK(!mbus_secondary_parse_mask("1149037", &m));
    CHECK(!mbus_secondary_parse_mask("114903780477", &m));
    CHECK(!mbus_secondary_parse_mask("1149037A", &m));
    CHECK(!mbus_secondary_parse_mask(NULL, &m));
    CHECK(!mbus_secondary_parse("11490378", &m)); /* the strict form wants all 16 */
    /* text and back keeps every nibble, wildcards included */
    CHECK(mbus_secondary_parse("1F4903F8047F0EF6", &m));
    mbus_secondary_format(&m, text);
    CHECK_STR(text, "1F4903F8047F0EF6");
}

int main(void) {
    test_ack_and_short();
    test_long_and_control();
    test_streaming();
    test_encoders();
    test_secondary();
    test_secondary_mask();
    return test_summary("test_mbus_link");
}
