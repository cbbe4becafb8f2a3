/* Radio physics of the bench: time on air per mode, overlap, the datagram
 * form, which link modes hear which meters, and the module's reception
 * decisions on a real air (UDP) in the bench loop. */
#include "sim/wmbus/air.h"
#include "core/clock.h"
#include "sim/wmbus/im871a_emu.h"
#include "sim/wmbus/radio_meter.h"
#include "tests/test.h"

static void test_time_on_air(void) {
    /* T1: 48 header chips + 38 bytes x 12 chips (3-of-6) + 2 postamble at 100 kcps */
    CHECK_INT(air_time_ns(AIR_T1, 38), 5060000);
    /* C1: 64 + 38 x 8 (NRZ) at 100 kcps */
    CHECK_INT(air_time_ns(AIR_C1, 38), 3680000);
    /* S1: 576 + 38 x 16 (Manchester) + 2 at 32.768 kcps = 1186 chips */
    CHECK_INT(air_time_ns(AIR_S1, 38), 36193848);
    CHECK_INT(air_mode_parse("t1"), AIR_T1);
    CHECK_INT(air_mode_parse("N1"), -1);
    CHECK_INT(air_mode_get(AIR_S1)->channel_khz, 868300);
    CHECK(air_mode_get(AIR_T1)->channel_khz == air_mode_get(AIR_C1)->channel_khz);
}

static void test_overlap_and_datagram(void) {
    air_tx a = {.mode = AIR_T1, .start_ns = 1000, .duration_ns = 500, .rssi_dbm = -71.25, .sender = 9,
                .len = 3, .bytes = {1, 2, 3}, .channel_khz = 868950};
    air_tx b = a;
    b.start_ns = 1500; /* starts when a ends: no overlap */
    CHECK(!air_overlap(&a, &b));
    b.start_ns = 1499;
    CHECK(air_overlap(&a, &b) && air_overlap(&b, &a));
    uint8_t buf[512];
    size_t n = air_tx_encode(&a, buf, sizeof buf);
    air_tx back;
    CHECK(air_tx_decode(buf, n, &back));
    CHECK_INT(back.start_ns, 1000);
    CHECK_INT(back.duration_ns, 500);
    CHECK_NEAR(back.rssi_dbm, -71.25, 1e-9);
    CHECK_INT(back.sender, 9);
    CHECK_INT(back.len, 3);
    CHECK(!air_tx_decode(buf, n - 1, &back));
}

static void test_mode_hears(void) {
    CHECK(im871a_mode_hears(IM_MODE_T1, AIR_T1));
    CHECK(!im871a_mode_hears(IM_MODE_T1, AIR_C1));
    CHECK(im871a_mode_hears(IM_MODE_CT, AIR_C1) && im871a_mode_hears(IM_MODE_CT, AIR_T1));
    CHECK(!im871a_mode_hears(IM_MODE_CT, AIR_S1));
    CHECK(im871a_mode_hears(IM_MODE_S1, AIR_S1));
    CHECK(im871a_mode_hears(IM_MODE_C1B, AIR_C1));
}

static void test_rng_deterministic(void) {
    uint64_t s1 = 5, s2 = 5;
    for (int i = 0; i < 100; i++)
        CHECK(radio_rng_next(&s1) == radio_rng_next(&s2));
    uint64_t s = 1;
    for (int i = 0; i < 1000; i++) {
        int64_t v = radio_rng_range(&s, -3, 3);
        if (v < -3 || v > 3)
            CHECK(false);
    }
}

/* Three transmissions on a real air: a strong one overlapping a weak one
 * (capture), a lone one. The module in T1 catches the strong and the lone one. */
static void test_reception(void) {
    clock_use_virtual(0);
    gw_loop *loop = loop_new();
    air a;
    char err[256];
    CHECK(air_open(&a, loop, err, sizeof err) == 0);
    im871a_spec spec = {.name = "r", .baud = 57600, .default_mode = IM_MODE_T1, .capture_db = 6,
                        .sensitivity_dbm = -110};
    im871a_emu e;
    CHECK(im871a_emu_open(&e, &spec, loop, NULL, err, sizeof err) == 0);
    CHECK(im871a_emu_start(&e, &a) == 0);
    air_tx strong = {.mode = AIR_T1, .channel_khz = 868950, .start_ns = 0, .duration_ns = 5000000,
                     .rssi_dbm = -60, .sender = 1};
    const uint8_t plain[] = {11, 0x44, 0x2D, 0x2C, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x78, 0x00};
    strong.len = wmbus_frame_add_crcs(plain, sizeof plain, WMBUS_FMT_A, strong.bytes, sizeof strong.bytes);
    CHECK(strong.len == sizeof plain + 4);
    air_tx weak = strong, lone = strong, other = strong;
    weak.start_ns = 1000000, weak.rssi_dbm = -70, weak.sender = 2;
    lone.start_ns = 20000000, lone.sender = 3;
    other.mode = AIR_C1, other.start_ns = 40000000, other.sender = 4;
    CHECK(air_transmit(&a, &strong) == 0 && air_transmit(&a, &weak) == 0 &&
          air_transmit(&a, &lone) == 0 && air_transmit(&a, &other) == 0);
    for (int i = 0; i < 20 && a.carried < 4; i++)
        loop_run_fds_once(loop, 100 * NS_PER_MS);
    CHECK_INT(a.carried, 4);
    for (int64_t t = 0; t <= 50 * NS_PER_MS; t += NS_PER_MS) {
        clock_virtual_advance(t);
        loop_run_once(loop, 0);
    }
    CHECK_INT(e.stats.heard_attempts, 4);
    CHECK_INT(e.stats.other_mode, 1);
    CHECK_INT(e.stats.collided, 1); /* the weak one: 10 dB under the strong one */
    CHECK_INT(e.stats.caught, 2);
    CHECK_INT(iochan_tx(e.pty.io), 2 * (4 + 11 + 2)); /* two indications written: header, frame without L, CRC */
    im871a_emu_close(&e);
    air_close(&a);
    loop_free(loop);
    iochan_registry_free();
    clock_use_real();
}

int main(void) {
    test_time_on_air();
    test_overlap_and_datagram();
    test_mode_hears();
    test_rng_deterministic();
    test_reception();
    return test_summary("test_sim_air");
}
