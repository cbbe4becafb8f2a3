/* dlms_profile: capture objects, scaler attributes, entry identities and the window
 * of stored entries (what makes a profile entry stored exactly once), and the
 * response decoders' tolerance of bytes after an APDU. */
#include "south/dlms/dlms_profile.h"

#include <stdint.h>
#include <stdlib.h>

#include "codec/decode/decode.h"
#include "codec/dlms/dlms_apdu.h"
#include "tests/test.h"

/* Hex text of a test vector into b (the gateway's own hex reader). */
static size_t hex(const char *text, uint8_t *out) {
    size_t bad;
    long n = decode_hex_text(text, out, 256, &bad);
    return n < 0 ? 0 : (size_t)n;
}

/* The capture objects of a typical load profile (IEC 62056-6-2 example layout):
 * clock 0-0:1.0.0.255 attr 2, status 0-0:96.10.1.255 (Data) attr 2, active energy
 * import 1-0:1.8.0.255 (register) attr 2, demand 1-0:1.4.0.255 (class 5) attr 3. */
static const char *CAPTURE_OBJECTS =
    "01 04"
    " 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00"
    " 02 04 12 00 01 09 06 00 00 60 0A 01 FF 0F 02 12 00 00"
    " 02 04 12 00 03 09 06 01 00 01 08 00 FF 0F 02 12 00 00"
    " 02 04 12 00 05 09 06 01 00 01 04 00 FF 0F 03 12 00 00";

static void test_capture_objects(void) {
    uint8_t b[256];
    size_t n = hex(CAPTURE_OBJECTS, b);
    dlms_profile p = {0};
    const char *why = "";
    CHECK(dlms_profile_set_columns(&p, b, n, &why));
    CHECK_INT(p.n_cols, 4);
    CHECK_INT(p.cols[0].class_id, 8);
    CHECK(!p.cols[0].scaled && !p.cols[1].scaled);
    CHECK(p.cols[2].scaled && p.cols[3].scaled);
    CHECK_INT(dlms_column_su_attr(&p.cols[2]), 3);
    CHECK_INT(dlms_column_su_attr(&p.cols[3]), 4); /* demand register: scaler_unit is attribute 4 */
    CHECK_INT(dlms_column_su_attr(&p.cols[1]), 0);
    char name[48];
    dlms_column_name(&p.cols[2], name, sizeof name);
    CHECK_STR(name, "1-0:1.8.0.255/2");
    size_t col = 99;
    CHECK(dlms_profile_next_su(&p, 0, &col) && col == 2);
    p.cols[2].have_su = true;
    CHECK(dlms_profile_next_su(&p, 0, &col) && col == 3);
    p.cols[3].su_failed = true;
    CHECK(!dlms_profile_next_su(&p, 0, &col));
    /* a truncated list and a wrong element are refused with a reason */
    CHECK(!dlms_profile_set_columns(&p, b, n - 3, &why) && why[0]);
    b[3] = 0x11; /* class as unsigned8 is tolerated */
    b[4] = 0x08;
    CHECK(!dlms_profile_set_columns(&p, b, n, &why)); /* but then the bytes no longer line up */
    dlms_profile_free(&p);
}

static void test_tolerant_integer_types(void) {
    uint8_t b[256];
    /* attribute as unsigned8 (0x11) instead of integer, data index as unsigned8 */
    size_t n = hex("01 02 02 04 12 00 08 09 06 00 00 01 00 00 FF 11 02 11 00"
                   " 02 04 12 00 03 09 06 01 00 01 08 00 FF 11 02 11 00", b);
    dlms_profile p = {0};
    const char *why = "";
    CHECK_MSG(dlms_profile_set_columns(&p, b, n, &why), "%s", why);
    CHECK_INT(p.n_cols, 2);
    CHECK(p.cols[1].scaled && p.cols[1].attr == 2);
    dlms_profile_free(&p);
}

static void test_identity(void) {
    int64_t ts = 1767225600000000000LL;
    dp_value one = {.type = DP_DOUBLE, .d = 1}, code128 = {.type = DP_DOUBLE, .d = 128};
    uint64_t a = dlms_entry_id_value(dlms_entry_id_start(ts), &one);
    uint64_t b = dlms_entry_id_value(dlms_entry_id_start(ts), &code128);
    uint64_t c = dlms_entry_id_value(dlms_entry_id_start(ts + 1000000000), &one);
    CHECK(a != b); /* two events in one second are two entries */
    CHECK(a != c);
    CHECK(a == dlms_entry_id_value(dlms_entry_id_start(ts), &one));
    /* the value as the store keeps it gives the same identity (restart) */
    dp_value i = {.type = DP_INT, .i = 1}, t = {.type = DP_BOOL, .b = true};
    CHECK(a == dlms_entry_id_value(dlms_entry_id_start(ts), &i));
    CHECK(a == dlms_entry_id_value(dlms_entry_id_start(ts), &t));
    CHECK(a == dlms_entry_id_stored(dlms_entry_id_start(ts), true, 1.0, NULL));
    dp_value s = {.type = DP_STRING, .s = "2026-01-01T00:00:00Z"};
    CHECK(dlms_entry_id_value(dlms_entry_id_start(ts), &s) ==
          dlms_entry_id_stored(dlms_entry_id_start(ts), false, 0, "2026-01-01T00:00:00Z"));
    const uint8_t raw[] = {0x0A, 0xBC, 0x00};
    dp_value by = {.type = DP_BYTES, .bytes = raw, .len = 3};
    CHECK(dlms_entry_id_value(dlms_entry_id_start(ts), &by) ==
          dlms_entry_id_stored(dlms_entry_id_start(ts), false, 0, "0A BC 00"));
    /* a number is not the text of the number, nor a missing value */
    CHECK(a != dlms_entry_id_stored(dlms_entry_id_start(ts), false, 0, "1"));
    CHECK(dlms_entry_id_stored(dlms_entry_id_start(ts), false, 0, NULL) !=
          dlms_entry_id_stored(dlms_entry_id_start(ts), false, 0, ""));
}

static void test_window(void) {
    dlms_profile p = {.from_ns = 100};
    CHECK(dlms_profile_remember(&p, 100, 1));
    CHECK(dlms_profile_remember(&p, 200, 2));
    CHECK(dlms_profile_remember(&p, 200, 3));
    CHECK(dlms_profile_seen(&p, 200, 3));
    CHECK(!dlms_profile_seen(&p, 200, 4));
    CHECK(!dlms_profile_seen(&p, 300, 3));
    dlms_profile_advance(&p, 200); /* a clean read: only the newest second stays */
    CHECK_INT(p.from_ns, 200);
    CHECK_INT(p.n_seen, 2);
    CHECK(!dlms_profile_seen(&p, 100, 1));
    CHECK(dlms_profile_seen(&p, 200, 2) && dlms_profile_seen(&p, 200, 3));
    dlms_profile_advance(&p, 0); /* nothing new: the window stays */
    CHECK_INT(p.from_ns, 200);
    CHECK_INT(p.n_seen, 2);
    for (int k = 0; k < 1000; k++) CHECK(dlms_profile_remember(&p, 300 + k, (uint64_t)k));
    dlms_profile_advance(&p, 1299);
    CHECK_INT(p.n_seen, 1);
    dlms_profile_free(&p);
}

/* A real server's GET response with 18 bytes after the APDU (a clock answer), and a
 * SET response with 2: decoded, the extra bytes counted. */
static void test_trailing_bytes(void) {
    uint8_t b[256];
    size_t n = hex("C4 01 C1 00 09 0C 07 EA 01 01 04 00 00 00 00 80 00 00"
                   " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", b);
    dlms_get_response g;
    const char *why = "";
    CHECK_MSG(dlms_get_response_decode(b, n, &g, &why), "%s", why);
    CHECK_INT(g.trailing, 18);
    CHECK(g.res[0].ok && g.res[0].len == 14);
    CHECK_MSG(dlms_get_response_decode(b, n - 18, &g, &why), "%s", why);
    CHECK_INT(g.trailing, 0);
    CHECK(!dlms_get_response_decode(b, 10, &g, &why)); /* truncated is still an error */
    dlms_simple_response s;
    n = hex("C5 01 C1 00 FF FF", b);
    CHECK_MSG(dlms_set_response_decode(b, n, &s, &why), "%s", why);
    CHECK_INT(s.trailing, 2);
    /* requests stay strict: the server side refuses bytes after them */
    dlms_get_request q;
    n = hex("C0 01 C1 00 08 00 00 01 00 00 FF 02 00 00", b);
    CHECK(!dlms_get_request_decode(b, n, &q, &why));
    CHECK(dlms_get_request_decode(b, n - 1, &q, &why));
}

int main(void) {
    test_capture_objects();
    test_tolerant_integer_types();
    test_identity();
    test_window();
    test_trailing_bytes();
    return test_summary("test_dlms_profile");
}
