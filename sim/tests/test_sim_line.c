/* Unit tests of the bit-level M-Bus line: wired-AND of UART bit streams and
 * the master's UART re-framing it. Expected bytes are worked out by hand from
 * the bit patterns (comments), at 2400 baud: 1 bit = 416666.67 ns. */
#include <stdlib.h>
#include "tests/test.h"
#include "sim/mbus/mbus_line.h"
#include "sim/core/wire.h"

#define BAUD 2400
#define BIT_NS(tenths) ((int64_t)(tenths) * 1000000000LL / (10 * BAUD)) /* tenths of bits */

static const uint8_t e5[] = {0xE5};

/* One slave: its bytes come out unchanged, each at its own start instant. */
static void test_single_answer_unchanged(void) {
    const uint8_t frame[] = {0x10, 0x5B, 0xFE, 0x59, 0x16, 0x00, 0xFF, 0x68};
    wa_answer a = {frame, sizeof frame, 1000};
    wa_byte out[16];
    uint8_t flags[16];
    mbus_line_stats st;
    size_t n = mbus_line_receive(&a, 1, BAUD, out, flags, 16, &st);
    CHECK_INT(n, sizeof frame);
    for (size_t i = 0; i < n && i < sizeof frame; i++) {
        CHECK_INT(out[i].value, frame[i]);
        CHECK_INT(out[i].t_ns, 1000 + (int64_t)i * wire_bytes_ns(BAUD, 1));
        CHECK_INT(flags[i], 0);
    }
    CHECK_INT(st.framing_errors + st.parity_errors + st.false_starts, 0);
    /* at 300 baud too (other rounding of the bit times) */
    n = mbus_line_receive(&a, 1, 300, out, NULL, 16, &st);
    CHECK_INT(n, sizeof frame);
    CHECK_INT(out[7].value, 0x68);
    CHECK_INT(out[7].t_ns, 1000 + 7 * wire_bytes_ns(300, 1));
}

/* The line level: E5 = start 0, data 1 0 1 0 0 1 1 1, parity 1, stop 1. */
static void test_level(void) {
    wa_answer a = {e5, 1, 0};
    const int want[11] = {0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1};
    for (int j = 0; j < 11; j++) CHECK_INT(mbus_line_level(&a, 1, BAUD, BIT_NS(10 * j + 5)), want[j]);
    CHECK_INT(mbus_line_level(&a, 1, BAUD, -1), 1);
    CHECK_INT(mbus_line_level(&a, 1, BAUD, BIT_NS(120)), 1);
}

/* Two E5 in exact step, and 0.3 bit apart: the UART reads one clean E5. */
static void test_e5_in_step_is_clean(void) {
    wa_answer two[2] = {{e5, 1, 5000}, {e5, 1, 5000}};
    wa_byte out[4];
    uint8_t flags[4];
    mbus_line_stats st;
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, &st), 1);
    CHECK_INT(out[0].value, 0xE5);
    CHECK_INT(out[0].t_ns, 5000);
    CHECK_INT(flags[0], 0);
    two[1].start_ns = 5000 + BIT_NS(3);
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, &st), 1);
    CHECK_INT(out[0].value, 0xE5);
    CHECK_INT(st.framing_errors + st.parity_errors, 0);
}

/* E5 and E5 two bits later:
 *   A        0 1 0 1 0 0 1 1 1 1 1
 *   B        1 1 0 1 0 1 0 0 1 1 1   (its first 9 bits)
 *   line     0 1 0 1 0 0 0 0 1 1 1   -> data 1010 0001 LSB first = 0x85,
 * parity 1 (0x85 has 3 ones: even with it), stop 1: a clean 0x85. */
static void test_e5_two_bits_apart(void) {
    wa_answer two[2] = {{e5, 1, 0}, {e5, 1, BIT_NS(20)}};
    wa_byte out[4];
    uint8_t flags[4];
    mbus_line_stats st;
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, &st), 1);
    CHECK_INT(out[0].value, 0x85);
    CHECK_INT(flags[0], 0);
    CHECK_INT(st.bytes, 1);
}

/* E5 and E5 6.4 bits later: the samples j=6..10 see B's bits 0..4 (0 1 0 1 0):
 *   line     0 1 0 1 0 0 0 1 0 1 0   -> data 1010 0010 = 0x45, parity 1 (fine),
 * stop 0: a framing error. The line then stays low until B's bit 6: B's rest
 * (1 1 1 1 1) brings no falling edge, so nothing more is received. */
static void test_e5_late_framing_error(void) {
    wa_answer two[2] = {{e5, 1, 0}, {e5, 1, BIT_NS(64)}};
    wa_byte out[4];
    uint8_t flags[4];
    mbus_line_stats st;
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, &st), 1);
    CHECK_INT(out[0].value, 0x45);
    CHECK_INT(flags[0], MBUS_LINE_FRAMING);
    CHECK_INT(st.framing_errors, 1);
    CHECK_INT(st.parity_errors, 0);
}

/* A sends E5 E5, B one E5 16.4 bits after A's start: the first byte is A's
 * alone; in the second (edge at bit 11) samples j=5..10 see B's bits 0..5
 * (0 1 0 1 0 0):
 *   line     0 1 0 1 0 0 1 0 1 0 0   -> data 1010 0101 = 0xA5, parity 0
 * (4 ones: fine), stop 0: framing error. */
static void test_resync_inside_a_frame(void) {
    const uint8_t ee[] = {0xE5, 0xE5};
    wa_answer two[2] = {{ee, 2, 0}, {e5, 1, BIT_NS(164)}};
    wa_byte out[4];
    uint8_t flags[4];
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, NULL), 2);
    CHECK_INT(out[0].value, 0xE5);
    CHECK_INT(flags[0], 0);
    CHECK_INT(out[1].value, 0xA5);
    CHECK_INT(out[1].t_ns, wire_bytes_ns(BAUD, 1));
    CHECK_INT(flags[1], MBUS_LINE_FRAMING);
}

/* Re-synchronisation on a start bit off the byte grid: B's byte starts 13.5
 * bits after A's (A's second byte slot would start at 11): the UART finds B's
 * start edge where it is, and reads both bytes clean. */
static void test_resync_off_grid(void) {
    const uint8_t a[] = {0x10}, b[] = {0x68};
    wa_answer two[2] = {{a, 1, 0}, {b, 1, BIT_NS(135)}};
    wa_byte out[4];
    uint8_t flags[4];
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, NULL), 2);
    CHECK_INT(out[0].value, 0x10);
    CHECK_INT(out[1].value, 0x68);
    CHECK_INT(out[1].t_ns, BIT_NS(135));
    CHECK_INT(flags[0] | flags[1], 0);
}

/* 00 and 00 five bits later: every sample is 0, stop too (framing error), and
 * the line stays low until B's stop bit: one 0x00, then nothing. */
static void test_zero_bytes(void) {
    const uint8_t z[] = {0x00};
    wa_answer two[2] = {{z, 1, 0}, {z, 1, BIT_NS(50)}};
    wa_byte out[4];
    uint8_t flags[4];
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, NULL), 1);
    CHECK_INT(out[0].value, 0x00);
    CHECK_INT(flags[0], MBUS_LINE_FRAMING);
}

/* Two different long answers in exact step: byte i is the AND of both (same
 * bit grid), and a parity error marks bytes whose AND broke even parity. */
static void test_in_step_and(void) {
    const uint8_t a[] = {0x68, 0x12, 0xF0}, b[] = {0x68, 0x21, 0x3C};
    wa_answer two[2] = {{a, 3, 0}, {b, 3, 0}};
    wa_byte out[4];
    uint8_t flags[4];
    mbus_line_stats st;
    CHECK_INT(mbus_line_receive(two, 2, BAUD, out, flags, 4, &st), 3);
    CHECK_INT(out[0].value, 0x68);
    CHECK_INT(out[1].value, 0x00);
    CHECK_INT(out[2].value, 0x30);
    /* 0x12 and 0x21 have even parity bits 0 -> AND 0; 0x00 is even: fine.
     * 0xF0 and 0x3C: parity 0 each; 0x30 has 2 ones: fine. */
    CHECK_INT(flags[1] | flags[2], 0);
    /* 0x01 (parity 1) and 0x02 (parity 1): AND = 0x00 with parity 1: error */
    const uint8_t c[] = {0x01}, d[] = {0x02};
    wa_answer pe[2] = {{c, 1, 0}, {d, 1, 0}};
    CHECK_INT(mbus_line_receive(pe, 2, BAUD, out, flags, 4, &st), 1);
    CHECK_INT(out[0].value, 0x00);
    CHECK_INT(flags[0], MBUS_LINE_PARITY);
    CHECK_INT(st.parity_errors, 1);
}

static void test_capacity_and_empty(void) {
    const uint8_t a[] = {1, 2, 3, 4};
    wa_answer one = {a, 4, 0};
    wa_byte out[2];
    CHECK_INT(mbus_line_receive(&one, 1, BAUD, out, NULL, 2, NULL), 2);
    CHECK_INT(out[1].value, 2);
    CHECK_INT(mbus_line_receive(NULL, 0, BAUD, out, NULL, 2, NULL), 0);
}

int main(void) {
    test_single_answer_unchanged();
    test_level();
    test_e5_in_step_is_clean();
    test_e5_two_bits_apart();
    test_e5_late_framing_error();
    test_resync_inside_a_frame();
    test_resync_off_grid();
    test_zero_bytes();
    test_in_step_and();
    test_capacity_and_empty();
    return test_summary("test_sim_line");
}
