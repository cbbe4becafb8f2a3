/* The MUC500 automatic layout against the manual's own tables (muc500.md §3.9):
 * Table 36 (Modbus test data, "reproduced exactly"), Table 35 (example data),
 * Table 37 (word/byte orders of 0x449A522B), float-only and swap variants. */
#include "north/modbus/modbus_server_muc500.h"
#include "tests/test.h"

static void check_regs(const char *what, const uint16_t *got, const uint16_t *want, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        CHECK_MSG(got[i] == want[i], "%s register %u: 0x%04X != 0x%04X", what, i, got[i], want[i]);
}

/* Table 36: device D0800DC1, protocol 2, version 132, time 0x5CE55EAC; meter
 * 12345678 "ABC" v1 electricity; value 12345678 * 10^-4 Wh. */
static void test_table36(void) {
    static const uint16_t want[30] = {
        0xD080, 0x0DC1, 0x0002, 0x0084, 0x5CE5, 0x5EAC, 0x0000, 0x0100, 0x0000, 0x0000,
        0x00BC, 0x614E, 0x0443, 0x0102, 0x5CE5, 0x5EAC, 0x0000, 0x0200, 0x0000, 0x0000,
        0x0000, 0x0000, 0x00BC, 0x614E, 0x449A, 0x522B, 0xFFFC, 0x0005, 0x5CE5, 0x5EAC,
    };
    muc_layout l = {.serial = 0xD0800DC1, .protocol_version = 2, .version = 132};
    muc_meter m = {.serial = muc_serial_number("12345678"), .manufacturer = "ABC", .version = 1,
                   .medium = 2, .read_s = 0x5CE55EAC};
    muc_value v = {.raw = 12345678, .has_raw = true, .scale_exp = -4, .value = 1234.5678,
                   .unit = muc_unit_index("Wh"), .meter_ts_s = 0x5CE55EAC};
    uint16_t regs[30];
    CHECK(muc_device_entry(&l, 0x5CE55EAC, regs));
    muc_meter_entry(&l, &m, regs + 10);
    muc_value_entry(&l, &v, regs + 20);
    check_regs("table 36", regs, want, 30);
    CHECK_INT(muc_entry_regs(&l), 10);
}

/* Table 35: device 0x0002993A v111 protocol 1; meter 66600106 LUG v2 heat
 * (outlet); value 267 * 10^3 Wh with its own meter time. */
static void test_table35(void) {
    static const uint16_t want[30] = {
        0x0002, 0x993A, 0x0001, 0x006F, 0x519C, 0xC16D, 0x0000, 0x0100, 0x0000, 0x0000,
        0x03F8, 0x3CAA, 0x32A7, 0x0204, 0x519C, 0xC16D, 0x0000, 0x0200, 0x0000, 0x0000,
        0x0000, 0x0000, 0x0000, 0x010B, 0x4882, 0x5F00, 0x0003, 0x0005, 0x519C, 0xBBB3,
    };
    muc_layout l = {.serial = 0x0002993A, .protocol_version = 1, .version = 111};
    muc_meter m = {.serial = 66600106, .manufacturer = "LUG", .version = 2, .medium = 4,
                   .read_s = 1369227629};
    muc_value v = {.raw = 267, .has_raw = true, .scale_exp = 3, .value = 267000.0,
                   .unit = muc_unit_index("Wh"), .meter_ts_s = 1369226163};
    uint16_t regs[30];
    muc_device_entry(&l, 1369227629, regs);
    muc_meter_entry(&l, &m, regs + 10);
    muc_value_entry(&l, &v, regs + 20);
    check_regs("table 35", regs, want, 30);
}

/* Swap: least significant word first in every 32/64-bit field (Table 37 CDAB). */
static void test_swap(void) {
    muc_layout l = {.serial = 0xD0800DC1, .protocol_version = 2, .version = 132, .swap = true};
    muc_value v = {.raw = 12345678, .has_raw = true, .scale_exp = -4, .value = 1234.5678,
                   .unit = 5, .meter_ts_s = 0x5CE55EAC};
    uint16_t regs[10];
    muc_device_entry(&l, 0x5CE55EAC, regs);
    CHECK_INT(regs[0], 0x0DC1);
    CHECK_INT(regs[1], 0xD080);
    CHECK_INT(regs[4], 0x5EAC);
    CHECK_INT(regs[5], 0x5CE5);
    CHECK_INT(regs[7], 0x0100);
    muc_value_entry(&l, &v, regs);
    static const uint16_t want[10] = {0x614E, 0x00BC, 0x0000, 0x0000, 0x522B,
                                      0x449A, 0xFFFC, 0x0005, 0x5EAC, 0x5CE5};
    check_regs("swap value", regs, want, 10);
}

static void test_float_only(void) {
    muc_layout l = {.float_only = true};
    uint16_t regs[10] = {0};
    CHECK(!muc_device_entry(&l, 1, regs));
    CHECK_INT(muc_entry_regs(&l), 2);
    muc_meter m = {.serial = 12345678};
    muc_meter_entry(&l, &m, regs);
    CHECK_INT(regs[0], 0x00BC);
    CHECK_INT(regs[1], 0x614E);
    CHECK_INT(regs[2], 0); /* only two registers written */
    /* "derived from the integer value of the meter": the scaled value */
    muc_value v = {.raw = 12345678, .has_raw = true, .scale_exp = -4, .value = 1234.5678};
    muc_value_entry(&l, &v, regs);
    CHECK_INT(regs[0], 0x449A);
    CHECK_INT(regs[1], 0x522B);
    l.swap = true;
    muc_value_entry(&l, &v, regs);
    CHECK_INT(regs[0], 0x522B);
    CHECK_INT(regs[1], 0x449A);
}

static void test_flags_and_fields(void) {
    muc_layout l = {0};
    muc_meter m = {.serial = 1, .manufacturer = "ZZZ", .not_read = true, .not_current = true};
    uint16_t regs[10];
    muc_meter_entry(&l, &m, regs);
    CHECK_INT(regs[8], 3);
    CHECK_INT(regs[2], 26 << 10 | 26 << 5 | 26);
    CHECK_INT(muc_manufacturer_code("LUG"), 0x32A7);
    CHECK_INT(muc_manufacturer_code("abc"), 0);
    CHECK_INT(muc_manufacturer_code(NULL), 0);
    CHECK_INT(muc_serial_number("66600106"), 0x03F83CAA);
    CHECK_INT(muc_serial_number("12A"), 0);
    CHECK_INT(muc_unit_index("m3"), 7);
    CHECK_INT(muc_unit_index("C"), 19);
    CHECK_INT(muc_unit_index("furlong"), 0);
    /* a value the meter sent as a float: the INT64 field stays 0 */
    muc_value v = {.has_raw = false, .value = -2.5, .scale_exp = 0, .unit = 19};
    muc_value_entry(&l, &v, regs);
    CHECK_INT(regs[0] | regs[1] | regs[2] | regs[3], 0);
    CHECK_INT(regs[4], 0xC020);
    CHECK_INT(regs[7], 19);
    /* negative raw values are two's complement over all 64 bits */
    v = (muc_value){.has_raw = true, .raw = -2, .scale_exp = -1, .value = -0.2};
    muc_value_entry(&l, &v, regs);
    CHECK_INT(regs[0], 0xFFFF);
    CHECK_INT(regs[3], 0xFFFE);
    CHECK_INT(regs[6], 0xFFFF);
}

int main(void) {
    test_table36();
    test_table35();
    test_swap();
    test_float_only();
    test_flags_and_fields();
    return test_summary("test_modbus_muc500");
}
