/* The bench's hostile radio transmitter (sim/wmbus/radio_junk.h): what its three
 * kinds of frame look like to a receiver, that its stream is the same on
 * every run, that the module drops the random ones as CRC errors and hands
 * the others on, and that `junk:` entries are checked with a position. */
#include <stdlib.h>
#include "sim/wmbus/air.h"
#include "core/clock.h"
#include "core/config.h"
#include "codec/decode/decode.h"
#include "sim/wmbus/im871a_emu.h"
#include "sim/wmbus/radio_bench.h"
#include "sim/wmbus/radio_junk.h"
#include "codec/wmbus/wmbus.h"
#include "codec/wmbus/wmbus_build.h"
#include "tests/test.h"

static radio_junk_spec spec_of(radio_junk_kind kind, size_t min_len, size_t max_len) {
    radio_junk_spec s = {.name = "j", .mode = AIR_T1, .kind = kind, .interval_ns = 100 * NS_PER_MS,
                         .jitter_ns = 50 * NS_PER_MS, .min_len = min_len, .max_len = max_len, .rssi_dbm = -80};
    return s;
}

static void test_random_frames(void) {
    radio_junk_spec s = spec_of(JUNK_RANDOM, 5, 40);
    radio_junk a, b;
    radio_junk_init(&a, &s, 3, 7, NULL, NULL, NULL);
    radio_junk_init(&b, &s, 3, 7, NULL, NULL, NULL);
    size_t shortest = 999, longest = 0;
    unsigned strip_ok = 0, differ = 0;
    for (int i = 0; i < 500; i++) {
        uint8_t fa[AIR_BYTES_MAX], fb[AIR_BYTES_MAX], plain[WMBUS_FRAME_MAX];
        size_t na = radio_junk_build(&a, fa, sizeof fa), nb = radio_junk_build(&b, fb, sizeof fb), n;
        wmbus_format fmt;
        if (na != nb || memcmp(fa, fb, na) != 0) differ++; /* same seed, same stream */
        shortest = na < shortest ? na : shortest;
        longest = na > longest ? na : longest;
        if (wmbus_frame_strip(fa, na, plain, sizeof plain, &n, &fmt, NULL) == WMBUS_OK) strip_ok++;
    }
    CHECK_INT(differ, 0);
    CHECK_INT(shortest, 5);
    CHECK_INT(longest, 40);
    CHECK_INT(strip_ok, 0); /* no receiver accepts them: L and CRCs are random */
    radio_junk other;
    radio_junk_init(&other, &s, 4, 7, NULL, NULL, NULL); /* another sender: another stream */
    uint8_t f1[AIR_BYTES_MAX], f2[AIR_BYTES_MAX];
    radio_junk_init(&a, &s, 3, 7, NULL, NULL, NULL);
    size_t n1 = radio_junk_build(&a, f1, sizeof f1), n2 = radio_junk_build(&other, f2, sizeof f2);
    CHECK(n1 != n2 || memcmp(f1, f2, n1) != 0);
}

static void test_crc_frames(void) {
    radio_junk_spec s = spec_of(JUNK_CRC, 11, 200);
    radio_junk j;
    radio_junk_init(&j, &s, 0, 1, NULL, NULL, NULL);
    unsigned ok = 0, consistent = 0;
    for (int i = 0; i < 300; i++) {
        uint8_t f[AIR_BYTES_MAX], plain[WMBUS_FRAME_MAX];
        size_t n = radio_junk_build(&j, f, sizeof f), pn;
        wmbus_format fmt;
        if (wmbus_frame_strip(f, n, plain, sizeof plain, &pn, &fmt, NULL) != WMBUS_OK) continue;
        ok++;
        if (fmt == WMBUS_FMT_A && plain[0] == pn - 1 && pn >= 11 && pn <= 200) consistent++;
    }
    CHECK_INT(ok, 300);         /* every frame passes the CRC check */
    CHECK_INT(consistent, 300); /* format A, L = length - 1, within the lengths asked for */
}

/* The meter's header, CI 0x7A claiming mode 5, random ciphertext: with the
 * meter's key the decoder finds no 2F 2F after decryption and says so. */
static void test_spoof_frames(void) {
    radio_junk_spec s = spec_of(JUNK_SPOOF, 31, 100);
    s.id_bcd = 0x12345678, s.manufacturer = wmbus_manufacturer_code("KAM"), s.version = 0x1B, s.device_type = 7;
    radio_junk j;
    radio_junk_init(&j, &s, 0, 1, NULL, NULL, NULL);
    decoder *d = decoder_new();
    telegram *t = calloc(1, sizeof *t);
    CHECK(d && t);
    d->keys.has_default = true;
    for (int k = 0; k < 16; k++) d->keys.default_key[k] = (uint8_t)k;
    unsigned header_ok = 0, refused = 0, wrong_key = 0;
    for (int i = 0; i < 50; i++) {
        uint8_t f[AIR_BYTES_MAX], plain[WMBUS_FRAME_MAX];
        size_t n = radio_junk_build(&j, f, sizeof f), pn;
        wmbus_format fmt;
        wmbus_link link;
        if (wmbus_frame_strip(f, n, plain, sizeof plain, &pn, &fmt, NULL) != WMBUS_OK ||
            wmbus_link_parse(plain, pn, &link, NULL) != WMBUS_OK)
            continue;
        if (link.c == 0x44 && link.addr.id_bcd == 0x12345678 && strcmp(link.addr.man, "KAM") == 0 &&
            link.addr.version == 0x1B && plain[10] == 0x7A && plain[14] == 0x05 && (pn - 15) % 16 == 0 &&
            plain[13] >> 4 == (pn - 15) / 16)
            header_ok++;
        decode_telegram(d, f, n, t);
        if (t->has_error) refused++;
        if (t->sec.outcome == OMS_SEC_WRONG_KEY) wrong_key++;
    }
    CHECK_INT(header_ok, 50);
    CHECK_INT(refused, 50);
    CHECK_INT(wrong_key, 50);
    free(t);
    decoder_free(d);
}

/* On a real air: the module in T1 drops random frames as CRC errors (also
 * counted as collided, as before) and delivers the frames with good CRCs. */
static void test_module_takes_junk(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    air a;
    char err[256];
    CHECK(air_open(&a, loop, err, sizeof err) == 0);
    im871a_spec mspec = {.name = "r", .baud = 57600, .default_mode = IM_MODE_T1, .capture_db = 6,
                         .sensitivity_dbm = -110};
    im871a_emu e;
    CHECK(im871a_emu_open(&e, &mspec, loop, NULL, err, sizeof err) == 0);
    CHECK(im871a_emu_start(&e, &a) == 0);
    /* 10 ms apart, frames of at most 40 bytes (< 5 ms on air in T1): no overlaps */
    radio_junk_spec rs = spec_of(JUNK_RANDOM, 12, 40), cs = spec_of(JUNK_CRC, 11, 24);
    rs.interval_ns = cs.interval_ns = 20 * NS_PER_MS, rs.jitter_ns = cs.jitter_ns = 0;
    cs.offset_ns = 10 * NS_PER_MS, rs.stop_ns = cs.stop_ns = 200 * NS_PER_MS;
    radio_junk r, c;
    radio_junk_init(&r, &rs, 0, 1, &a, loop, NULL);
    radio_junk_init(&c, &cs, 1, 1, &a, loop, NULL);
    radio_junk_start(&r);
    radio_junk_start(&c);
    for (int64_t t = 0; t <= 250 * NS_PER_MS; t += NS_PER_MS) {
        clock_virtual_advance(t);
        loop_run_once(loop, 0);
        for (int i = 0; i < 5 && a.carried < a.sent; i++) loop_run_fds_once(loop, 100 * NS_PER_MS);
        loop_run_once(loop, 0);
    }
    CHECK_INT(r.sent, 10); /* at 0, 20, ... 180 ms */
    CHECK_INT(c.sent, 10); /* at 10, 30, ... 190 ms */
    CHECK_INT(a.carried, 20);
    CHECK_INT(e.stats.heard_attempts, 20);
    CHECK_INT(e.stats.crc_errors, 10);
    CHECK_INT(e.stats.collided, 10);
    CHECK_INT(e.stats.caught, 10);
    radio_junk_stop(&r);
    radio_junk_stop(&c);
    im871a_emu_close(&e);
    air_close(&a);
    loop_free(loop);
    iochan_registry_free();
    clock_use_real();
}

static void check_plan_error(const char *junk, const char *want) {
    char text[512];
    snprintf(text, sizeof text, "modules: [{name: radio1}]\njunk:\n  - %s\n", junk);
    cfg_err err = {{0}};
    cfg_node *doc = cfg_load_string(text, "plan.yaml", &err);
    CHECK(doc != NULL);
    radio_plan *p = doc ? radio_plan_parse(doc, &(scenario_paths){".", ".", "fixtures"}, &err) : NULL;
    CHECK_MSG(p == NULL && strstr(err.msg, want) != NULL, "%s: got \"%s\"", junk, err.msg);
    radio_plan_free(p);
    cfg_free(doc);
}

static void test_plan(void) {
    cfg_err err = {{0}};
    cfg_node *doc = cfg_load_string("modules: [{name: radio1}]\n"
                                    "junk: [{name: j, kind: spoof, id: \"12345678\", interval: 50ms}]\n",
                                    "plan.yaml", &err);
    radio_plan *p = doc ? radio_plan_parse(doc, &(scenario_paths){".", ".", "fixtures"}, &err) : NULL;
    CHECK_MSG(p != NULL, "%s", err.msg);
    radio_plan_free(p);
    cfg_free(doc);
    check_plan_error("{name: j, kind: noise}", "plan.yaml:3:21: kind must be random, crc or spoof");
    check_plan_error("{name: j, kind: spoof}", "id must be 8 decimal digits");
    check_plan_error("{name: j, kind: crc, min_length: 5}", "11 <= min_length <= max_length");
    check_plan_error("{name: j, interval: 10ms, jitter: 10ms}", "jitter must be below the interval");
    check_plan_error("{name: j, colour: red}", "colour");
    check_plan_error("[j]", "a junk transmitter must be a map");
}

int main(void) {
    test_random_frames();
    test_crc_frames();
    test_spoof_frames();
    test_module_takes_junk();
    test_plan();
    return test_summary("test_sim_junk");
}
