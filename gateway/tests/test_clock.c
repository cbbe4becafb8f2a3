/* Unit tests of the clock: virtual time and ISO formatting. */
#include "clock.h"
#include "test.h"

static void test_virtual_time(void) {
    const int64_t start = 1795309323456000000LL; /* 2026-11-22T01:02:03.456Z */
    clock_use_virtual(start);
    CHECK(clock_is_virtual());
    CHECK_INT(clock_mono_ns(), 0);
    CHECK_INT(clock_wall_ns(), start);
    clock_virtual_advance(1500 * NS_PER_MS);
    CHECK_INT(clock_mono_ns(), 1500 * NS_PER_MS);
    CHECK_INT(clock_wall_ns(), start + 1500 * NS_PER_MS);
    clock_virtual_advance(NS_PER_S); /* backwards: ignored */
    CHECK_INT(clock_mono_ns(), 1500 * NS_PER_MS);
    clock_virtual_advance(1500 * NS_PER_MS);
    CHECK_INT(clock_mono_ns(), 1500 * NS_PER_MS);
    clock_use_virtual(0); /* restart */
    CHECK_INT(clock_mono_ns(), 0);
    CHECK_INT(clock_wall_ns(), 0);
}

static void test_real_time(void) {
    clock_use_real();
    CHECK(!clock_is_virtual());
    int64_t a = clock_mono_ns(), b = clock_mono_ns();
    CHECK(a > 0);
    CHECK(b >= a);
    /* Wall time is after 2020-01-01 and before 2200. */
    CHECK(clock_wall_ns() > 1577836800LL * NS_PER_S);
    CHECK(clock_wall_ns() < 7258118400LL * NS_PER_S);
}

static void test_format(void) {
    char buf[40];
    clock_format_iso(1795309323456000000LL, buf, sizeof buf);
    CHECK_STR(buf, "2026-11-22T01:02:03.456Z");
    clock_format_iso(0, buf, sizeof buf);
    CHECK_STR(buf, "1970-01-01T00:00:00.000Z");
    clock_format_iso(951782400999999999LL, buf, sizeof buf); /* leap day, ms truncated */
    CHECK_STR(buf, "2000-02-29T00:00:00.999Z");
    clock_format_iso(-1, buf, sizeof buf); /* 1 ns before the epoch */
    CHECK_STR(buf, "1969-12-31T23:59:59.999Z");
    clock_format_iso(1795309323456000000LL, buf, 11); /* truncated, still terminated */
    CHECK_STR(buf, "2026-11-22");
}

int main(void) {
    test_virtual_time();
    test_real_time();
    test_format();
    return test_summary("test_clock");
}
