/* Unit tests of the clock: virtual time and ISO formatting. */
#include <stdio.h>

#include "core/clock.h"
#include "core/log.h"
#include "tests/test.h"

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

/* Log lines carry the clock's (here virtual) wall time. */
static void test_log_lines(void) {
    clock_use_virtual(1795309323456000000LL);
    FILE *f = tmpfile();
    log_set_stream(f);
    log_set_level(LOG_LVL_INFO);
    CHECK_INT(log_get_level(), LOG_LVL_INFO);
    log_info("mbus:bus1", "read %d meters", 3);
    log_debug("mbus:bus1", "filtered out");
    clock_virtual_advance(NS_PER_S);
    log_error("store", "disk full");
    const uint8_t bytes[] = {0x68, 0x03, 0xE5};
    log_hex(LOG_LVL_WARN, "mbus:bus1", "rejected", bytes, sizeof bytes);
    log_hex(LOG_LVL_DEBUG, "mbus:bus1", "filtered", bytes, sizeof bytes);
    log_set_level(LOG_LVL_TRACE);
    log_msg(LOG_LVL_TRACE, "x", "trace on");
    log_set_stream(NULL);
    log_set_level(LOG_LVL_INFO);
    rewind(f);
    char text[1024] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    CHECK_STR(text, "2026-11-22T01:02:03.456Z INFO  mbus:bus1: read 3 meters\n"
                    "2026-11-22T01:02:04.456Z ERROR store: disk full\n"
                    "2026-11-22T01:02:04.456Z WARN  mbus:bus1: rejected (3 bytes): 68 03 E5\n"
                    "2026-11-22T01:02:04.456Z TRACE x: trace on\n");
    CHECK_INT(log_level_parse("error"), LOG_LVL_ERROR);
    CHECK_INT(log_level_parse("warn"), LOG_LVL_WARN);
    CHECK_INT(log_level_parse("debug"), LOG_LVL_DEBUG);
    CHECK_INT(log_level_parse("trace"), LOG_LVL_TRACE);
    CHECK_INT(log_level_parse("verbose"), -1);
    CHECK_INT(log_level_parse(NULL), -1);
}

int main(void) {
    test_log_lines();
    test_virtual_time();
    test_real_time();
    test_format();
    return test_summary("test_clock");
}
