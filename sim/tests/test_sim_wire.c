/* Unit tests of the bench's wire arithmetic, wired-AND merge, hex fixtures
 * and telegram edits. */
#include <stdlib.h>
#include "sim/core/hexfile.h"
#include "sim/mbus/telegram_edit.h"
#include "tests/test.h"
#include "sim/core/wire.h"
#include "sim/core/wired_and.h"

static void test_wire_times(void) {
    CHECK_INT(wire_bits_ns(2400, 1), 416666);
    CHECK_INT(wire_bytes_ns(2400, 1), 4583333);       /* 11 bits */
    CHECK_INT(wire_bytes_ns(300, 1), 36666666);
    CHECK_INT(wire_bytes_ns(9600, 5), 5729166);       /* 55 bits, no accumulated rounding */
    CHECK_INT(wire_bits_ns(0, 10), 0);
    wire w = {0};
    int64_t end;
    CHECK_INT(wire_place(&w, 1000, 9600, 5, &end), 1000);
    CHECK_INT(end, 1000 + 5729166);
    /* bytes arriving while the line is busy queue behind */
    CHECK_INT(wire_place(&w, 2000, 9600, 1, &end), 1000 + 5729166);
    CHECK_INT(end, 1000 + 5729166 + 1145833);
    /* after the line is free they start at once */
    CHECK_INT(wire_place(&w, 100000000, 9600, 1, NULL), 100000000);
    CHECK_INT(wire_baud_from_speed(wire_speed_from_baud(2400)), 2400);
    CHECK_INT(wire_speed_from_baud(1234), (unsigned)-1);
}

static void test_wired_and_single(void) {
    const uint8_t a[] = {0x10, 0x40, 0x05};
    wa_answer ans = {a, 3, 500};
    wa_byte out[8];
    size_t n = wired_and_merge(&ans, 1, 100, out, 8);
    CHECK_INT(n, 3);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(out[i].value, a[i]);
        CHECK_INT(out[i].t_ns, 500 + 100 * (int64_t)i);
    }
}

static void test_wired_and_overlap(void) {
    const uint8_t a[] = {0xF0, 0xFF}, b[] = {0x3C, 0x0F};
    /* b starts 30 ns after a: each of its bytes overlaps one of a's */
    wa_answer ans[2] = {{a, 2, 0}, {b, 2, 30}};
    wa_byte out[8];
    size_t n = wired_and_merge(ans, 2, 100, out, 8);
    CHECK_INT(n, 2);
    CHECK_INT(out[0].value, 0xF0 & 0x3C);
    CHECK_INT(out[1].value, 0xFF & 0x0F);
    CHECK_INT(out[0].t_ns, 0);
    /* the later byte kept the line busy until 130: the next slot starts there */
    CHECK_INT(out[1].t_ns, 130);
    /* two long answers offset by less than a byte: one merged byte per pair */
    uint8_t x[37], y[37];
    memset(x, 0xFF, sizeof x);
    memset(y, 0x7F, sizeof y);
    wa_answer longer[2] = {{x, 37, 3000}, {y, 37, 3020}};
    wa_byte line[80];
    CHECK_INT(wired_and_merge(longer, 2, 100, line, 80), 37);
    CHECK_INT(line[36].value, 0x7F);
    /* disjoint in time: nothing merges */
    wa_answer apart[2] = {{a, 2, 0}, {b, 2, 1000}};
    n = wired_and_merge(apart, 2, 100, out, 8);
    CHECK_INT(n, 4);
    CHECK_INT(out[2].value, 0x3C);
    CHECK_INT(out[2].t_ns, 1000);
}

static void test_hexfile(void) {
    telegram_list l = {0};
    char err[256];
    CHECK_INT(hexfile_parse("# comment\n68 03 03 68 53 FD 52 A2 16\n\nE5 # ack\n", "t.hex", &l, err,
                            sizeof err), 0);
    CHECK_INT(l.n, 2);
    CHECK_INT(l.items[0].len, 9);
    CHECK_INT(l.items[0].bytes[4], 0x53);
    CHECK_INT(l.items[1].len, 1);
    CHECK_INT(hexfile_parse("68 0G\n", "bad.hex", &l, err, sizeof err), -1);
    CHECK_STR(err, "bad.hex:1:4: expected a pair of hex digits");
    char text[32];
    CHECK_STR(hex_format(l.items[1].bytes, 1, text, sizeof text), "E5");
    CHECK_STR(hex_format(l.items[0].bytes, 3, text, sizeof text), "68 03 03");
    CHECK_STR(hex_format(l.items[0].bytes, 3, text, 6), "68 03");
    uint8_t b[4];
    CHECK_INT(hex_parse("10 4005", b, 4), 3);
    CHECK_INT(b[2], 0x05);
    CHECK_INT(hex_parse("1", b, 4), -1);
    telegram_list_free(&l);
}

/* libmbus frame2 (PAD water meter, id 12345678) */
static const char *frame2 =
    "68 1F 1F 68 08 02 72 78 56 34 12 24 40 01 07 55 00 00 00 03 13 15 31 00 DA 02 3B 13 01 "
    "8B 60 04 37 18 02 18 16";

static bool checksum_ok(const hex_frame *t) {
    uint8_t cs = 0;
    for (size_t i = 4; i < t->len - 2; i++) cs = (uint8_t)(cs + t->bytes[i]);
    return cs == t->bytes[t->len - 2];
}

static void test_telegram_edit(void) {
    telegram_list l = {0};
    char err[128];
    CHECK_INT(hexfile_parse(frame2, "frame2", &l, err, sizeof err), 0);
    hex_frame *t = &l.items[0];
    CHECK(tg_is_long(t));
    CHECK(checksum_ok(t));
    mbus_secondary sa;
    CHECK(tg_secondary(t, &sa));
    CHECK_INT(sa.id_bcd, 0x12345678);
    CHECK_INT(sa.medium, 0x07);
    tg_set_address(t, 9);
    CHECK_INT(t->bytes[5], 9);
    CHECK(checksum_ok(t));
    CHECK(tg_set_id(t, 0x10000022));
    CHECK(tg_secondary(t, &sa));
    CHECK_INT(sa.id_bcd, 0x10000022);
    CHECK(checksum_ok(t));
    size_t len = t->len;
    CHECK(tg_set_more_follows(t));
    CHECK_INT(t->len, len + 1);
    CHECK_INT(t->bytes[1], 0x20);
    CHECK_INT(t->bytes[2], 0x20);
    CHECK_INT(t->bytes[t->len - 3], 0x1F);
    CHECK_INT(t->bytes[t->len - 1], 0x16);
    CHECK(tg_is_long(t));
    CHECK(checksum_ok(t));
    /* already marked: unchanged */
    CHECK(tg_set_more_follows(t));
    CHECK_INT(t->len, len + 1);
    uint8_t bad[64];
    CHECK_INT(tg_corrupt_checksum(t, bad, sizeof bad), t->len);
    CHECK_INT(bad[t->len - 2], (uint8_t)(t->bytes[t->len - 2] + 1));
    telegram_list_free(&l);
}

int main(void) {
    test_wire_times();
    test_wired_and_single();
    test_wired_and_overlap();
    test_hexfile();
    test_telegram_edit();
    return test_summary("test_sim_wire");
}
