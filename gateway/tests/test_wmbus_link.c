/* Wireless link layer: the EN 13757-4 CRC, frame formats A and B (found,
 * checked, stripped, and added back), CRC and length errors with their
 * offsets, and the ELL, AFL and transport header parsers. */
#include <stdio.h>
#include "codec/decode/decode.h"
#include "tests/test.h"
#include "codec/wmbus/wmbus.h"

/* Annex N.2.1 as delivered without CRCs. */
static const char annex_n21[] =
    "2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3";

static size_t hex(const char *text, uint8_t *out, size_t cap) {
    size_t bad;
    long n = decode_hex_text(text, out, cap, &bad);
    return n < 0 ? 0 : (size_t)n;
}

static void test_crc(void) {
    /* CRC-16/EN-13757 check value over "123456789" */
    CHECK_INT(wmbus_crc16((const uint8_t *)"123456789", 9), 0xC2B7);
    CHECK_INT(wmbus_crc16(NULL, 0), 0xFFFF);
}

static void test_format_a(void) {
    uint8_t plain[128], framed[WMBUS_FRAME_MAX], back[WMBUS_FRAME_MAX];
    size_t n = hex(annex_n21, plain, sizeof plain), out_len = 0;
    CHECK_INT(n, 47);
    size_t m = wmbus_frame_add_crcs(plain, n, WMBUS_FMT_A, framed, sizeof framed);
    /* 10 + 2, then 37 bytes in blocks of 16, 16, 5, each + 2 */
    CHECK_INT(m, 12 + 37 + 6);
    CHECK_INT(framed[0], 0x2E);
    wmbus_format fmt = WMBUS_FMT_PLAIN;
    wmbus_error err;
    CHECK_INT(wmbus_frame_strip(framed, m, back, sizeof back, &out_len, &fmt, &err), WMBUS_OK);
    CHECK_INT(fmt, WMBUS_FMT_A);
    CHECK_INT(out_len, n);
    CHECK(memcmp(back, plain, n) == 0);
    /* a wrong bit in the second data block: CRC error at that block's CRC */
    framed[12 + 18 + 3] ^= 0x04;
    CHECK_INT(wmbus_frame_strip(framed, m, back, sizeof back, &out_len, &fmt, &err), WMBUS_ERR_CRC);
    CHECK_INT(err.offset, 12 + 18 + 16);
    framed[12 + 18 + 3] ^= 0x04;
    /* a bad first block */
    framed[5] ^= 0x01;
    CHECK_INT(wmbus_frame_strip(framed, m, back, sizeof back, &out_len, &fmt, &err), WMBUS_ERR_CRC);
    CHECK_INT(err.offset, 10);
}

static void test_format_b(void) {
    uint8_t plain[256], framed[WMBUS_FRAME_MAX], back[WMBUS_FRAME_MAX];
    size_t n = hex(annex_n21, plain, sizeof plain), out_len = 0;
    size_t m = wmbus_frame_add_crcs(plain, n, WMBUS_FMT_B, framed, sizeof framed);
    CHECK_INT(m, n + 2);
    CHECK_INT(framed[0], n + 1); /* L counts the CRC */
    wmbus_format fmt = WMBUS_FMT_PLAIN;
    wmbus_error err;
    CHECK_INT(wmbus_frame_strip(framed, m, back, sizeof back, &out_len, &fmt, &err), WMBUS_OK);
    CHECK_INT(fmt, WMBUS_FMT_B);
    CHECK(out_len == n && memcmp(back + 1, plain + 1, n - 1) == 0);
    /* a long frame: block 2 ends after 126 bytes, block 3 has its own CRC */
    for (size_t i = n; i < 200; i++)
        plain[i] = 0x2F;
    plain[0] = 199;
    m = wmbus_frame_add_crcs(plain, 200, WMBUS_FMT_B, framed, sizeof framed);
    CHECK_INT(m, 204);
    CHECK_INT(framed[0], 203);
    CHECK_INT(wmbus_frame_strip(framed, m, back, sizeof back, &out_len, &fmt, &err), WMBUS_OK);
    CHECK(fmt == WMBUS_FMT_B && out_len == 200 && memcmp(back + 1, plain + 1, 199) == 0);
    /* with a bad CRC in block 3 the same bytes are taken as a plain frame
     * (L + 1 bytes): the decoder then finds the CRC bytes as data, and the
     * tests of the decode path show it fails there, not here */
    framed[150] ^= 0x01;
    CHECK_INT(wmbus_frame_strip(framed, m, back, sizeof back, &out_len, &fmt, &err), WMBUS_OK);
    CHECK_INT(fmt, WMBUS_FMT_PLAIN);
}

static void test_lengths(void) {
    uint8_t b[64] = {0x30, 0x44}, out[WMBUS_FRAME_MAX];
    size_t out_len;
    wmbus_format fmt;
    wmbus_error err;
    CHECK_INT(wmbus_frame_strip(b, 20, out, sizeof out, &out_len, &fmt, &err), WMBUS_ERR_LENGTH);
    CHECK(strstr(err.msg, "L field 48") != NULL);
    CHECK_INT(wmbus_frame_strip(b, 5, out, sizeof out, &out_len, &fmt, &err), WMBUS_ERR_LENGTH);
}

static void test_headers(void) {
    /* ELL II: 8D CC ACC SN */
    const uint8_t ell[] = {0x8D, 0x20, 0x05, 0x01, 0x00, 0x00, 0x20, 0xAA, 0xBB};
    wmbus_ell e;
    wmbus_error err;
    CHECK_INT(wmbus_ell_parse(ell, sizeof ell, &e, &err), WMBUS_OK);
    CHECK(e.has_sn && !e.has_addr && e.enc == 1 && e.sn == 0x20000001 && e.len == 7);
    CHECK_INT(wmbus_ell_parse(ell, 6, &e, &err), WMBUS_ERR_HEADER);
    /* AFL: 90 L FCL(2) MCL MCR(4) MAC(8) ML(2) */
    const uint8_t afl[] = {0x90, 0x11, 0x00, 0x3C, 0x25, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 0x40, 0x00};
    wmbus_afl a;
    CHECK_INT(wmbus_afl_parse(afl, sizeof afl, &a, &err), WMBUS_OK);
    CHECK(a.has_mcl && a.has_mcr && a.has_mac && a.has_ml && !a.has_ki);
    CHECK_INT(a.mcr, 0x04030201);
    CHECK_INT(a.mac_len, 8);
    CHECK_INT(a.ml, 64);
    CHECK_INT(a.len, sizeof afl);
    /* AFL.L too short for the fields FCL announces */
    uint8_t short_afl[sizeof afl];
    memcpy(short_afl, afl, sizeof afl);
    short_afl[1] = 0x08;
    CHECK_INT(wmbus_afl_parse(short_afl, sizeof short_afl, &a, &err), WMBUS_ERR_HEADER);
    CHECK(strstr(err.msg, "MAC") != NULL);
    /* a first fragment of several */
    const uint8_t frag[] = {0x90, 0x02, 0x01, 0x40};
    CHECK_INT(wmbus_afl_parse(frag, sizeof frag, &a, &err), WMBUS_ERR_FRAGMENT);
    /* long transport header */
    const uint8_t tpl[] = {0x72, 0x78, 0x56, 0x34, 0x12, 0x93, 0x15, 0x33, 0x03, 0x2A, 0x00, 0x10, 0x05};
    wmbus_tpl t;
    CHECK_INT(wmbus_tpl_parse(tpl, sizeof tpl, &t, &err), WMBUS_OK);
    CHECK(t.kind == WMBUS_TPL_LONG && t.mode == 5 && t.blocks == 1 && t.len == 13);
    CHECK_STR(t.addr.id, "12345678");
    CHECK_STR(t.addr.man, "ELS");
    CHECK_INT(wmbus_tpl_parse(tpl, 8, &t, &err), WMBUS_ERR_HEADER);
    const uint8_t unknown[] = {0xA5, 0x00};
    CHECK_INT(wmbus_tpl_parse(unknown, sizeof unknown, &t, &err), WMBUS_ERR_CI);
    CHECK_STR(wmbus_c_name(0x44), "SND_NR");
}

/* The decode path names CRC errors with the offset in the frame. */
static void test_decode_errors(void) {
    decoder *d = decoder_new();
    static telegram tg;
    uint8_t plain[128], framed[WMBUS_FRAME_MAX];
    size_t n = hex(annex_n21, plain, sizeof plain);
    size_t m = wmbus_frame_add_crcs(plain, n, WMBUS_FMT_A, framed, sizeof framed);
    framed[40] ^= 0xFF;
    CHECK(!decode_telegram(d, framed, m, &tg));
    CHECK(tg.has_error && strstr(tg.error, "CRC") != NULL);
    CHECK_INT(tg.error_offset, 46); /* CRC of the block holding byte 40 */
    /* unsupported CI after the link header */
    uint8_t odd[] = {0x0B, 0x44, 0x93, 0x15, 0x78, 0x56, 0x34, 0x12, 0x33, 0x03, 0xA5, 0x00};
    CHECK(!decode_telegram(d, odd, sizeof odd, &tg));
    CHECK_INT(tg.error_offset, 10);
    CHECK(strstr(tg.error, "CI 0xA5") != NULL);
    decoder_free(d);
}

int main(void) {
    test_crc();
    test_format_a();
    test_format_b();
    test_lengths();
    test_headers();
    test_decode_errors();
    return test_summary("test_wmbus_link");
}
