/* Meter list, listen cache, duplicate suppression, access numbers, expected. */
#include "core/clock.h"
#include "tests/test.h"
#include "south/wmbus/wmbus_meters.h"

static wmbus_meter_cfg meters[2] = {
    {.name = "a", .id_bcd = 0x11111111, .any_man = true, .interval_ns = 60 * NS_PER_S},
    {.name = "b", .id_bcd = 0x22222222, .manufacturer = 0x2C2D},
};

int main(void) {
    wmbus_module_cfg cfg = {.listen = true, .listen_cache = 2, .meters = meters, .n_meters = 2};
    wmbus_meters m;
    CHECK(wmbus_meters_init(&m, &cfg));
    CHECK(wmbus_meters_find(&m, 0x11111111, 0x1234) == &m.known[0]);
    CHECK(wmbus_meters_find(&m, 0x22222222, 0x2C2D) == &m.known[1]);
    CHECK(wmbus_meters_find(&m, 0x22222222, 0x1234) == NULL); /* manufacturer differs */
    CHECK(wmbus_meters_find(&m, 0x33333333, 0x2C2D) == NULL);

    /* duplicates within the window, not after it */
    wmbus_meter *a = &m.known[0];
    int64_t t = 1000;
    CHECK(!wmbus_meter_is_duplicate(a, 42, t, NS_PER_S));
    CHECK(wmbus_meter_is_duplicate(a, 42, t + NS_PER_S, NS_PER_S));
    CHECK(!wmbus_meter_is_duplicate(a, 42, t + 3 * NS_PER_S, NS_PER_S));
    CHECK_INT(a->duplicates, 1);

    /* access numbers: a gap of 3 means 2 telegrams were missed; wrap at 255 */
    CHECK_INT(wmbus_meter_heard(a, true, 250, -70, 0), 0);
    CHECK_INT(wmbus_meter_heard(a, true, 253, -72, 60 * NS_PER_S), 2);
    CHECK_INT(wmbus_meter_heard(a, true, 1, -74, 120 * NS_PER_S), 3);
    CHECK_INT(a->heard, 3);
    CHECK_INT(a->missed, 5);
    CHECK_NEAR(a->rssi_dbm, -74, 1e-9);
    CHECK_NEAR(a->rssi_sum / 3, -72, 1e-9);
    /* by time: first at 0, interval 60 s, now 600 s -> 11; at least heard + missed */
    CHECK_INT(wmbus_meter_expected(a, 0, 600 * NS_PER_S), 11);
    CHECK_INT(wmbus_meter_expected(a, 0, 121 * NS_PER_S), 8);
    CHECK_INT(wmbus_meter_expected(&m.known[1], 0, 600 * NS_PER_S), 0);

    /* listen cache of 2: the third unknown meter replaces the least recently heard */
    bool is_new;
    char gone[64];
    wmbus_meter *l1 = wmbus_meters_listen(&m, 0x1, 0x2C2D, 1, 7, 10, &is_new, gone, sizeof gone);
    CHECK(l1 && is_new);
    CHECK_STR(l1->name, "listen:KAM-00000001");
    wmbus_meters_listen(&m, 0x2, 0x2C2D, 1, 7, 20, &is_new, gone, sizeof gone);
    l1 = wmbus_meters_listen(&m, 0x1, 0x2C2D, 1, 7, 30, &is_new, gone, sizeof gone);
    CHECK(!is_new);
    wmbus_meter_heard(l1, false, 0, -80, 30);
    wmbus_meter *l3 = wmbus_meters_listen(&m, 0x3, 0x2C2D, 1, 7, 40, &is_new, gone, sizeof gone);
    CHECK(l3 && is_new);
    CHECK_STR(gone, "listen:KAM-00000002");
    CHECK_INT(m.n_listen, 2);
    CHECK_INT(m.evicted, 1);

    char label[24];
    wmbus_meter_label(0x2C2D, 0x12345678, label, sizeof label);
    CHECK_STR(label, "KAM-12345678");
    /* the fingerprint ignores L and C (a repeater changes C), not the rest */
    uint8_t f1[] = {12, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 0x7A, 9, 10};
    uint8_t f2[] = {12, 0x46, 1, 2, 3, 4, 5, 6, 7, 8, 0x7A, 9, 10};
    uint8_t f3[] = {12, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 0x7A, 9, 11};
    CHECK(wmbus_fingerprint(f1, sizeof f1) == wmbus_fingerprint(f2, sizeof f2));
    CHECK(wmbus_fingerprint(f1, sizeof f1) != wmbus_fingerprint(f3, sizeof f3));
    wmbus_meters_free(&m);
    return test_summary("test_wmbus_meters");
}
