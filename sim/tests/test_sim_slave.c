/* Unit tests of the emulated M-Bus slave: SND_NKE, secondary selection with
 * wildcards, REQ_UD2 paging by FCB, faults. */
#include "tests/test.h"
#include "sim/core/hexfile.h"
#include "sim/mbus/mbus_slave.h"
#include "sim/mbus/telegram_edit.h"

static const char *page_text =
    "68 1F 1F 68 08 02 72 78 56 34 12 24 40 01 07 55 00 00 00 03 13 15 31 00 DA 02 3B 13 01 "
    "8B 60 04 37 18 02 18 16";

static uint8_t out[MBUS_FRAME_MAX];
static size_t out_len;

/* A slave with primary address 5 and n pages whose byte 15 (access number) is the page index. */
static void make_slave(mbus_slave *s, int pages) {
    mbus_slave_init(s);
    s->primary = 5;
    char err[64];
    for (int i = 0; i < pages; i++) {
        hexfile_parse(page_text, "page", &s->pages, err, sizeof err);
        s->pages.items[i].bytes[15] = (uint8_t)i;
        tg_fix_checksum(&s->pages.items[i]);
    }
    tg_secondary(&s->pages.items[0], &s->secondary);
}

static mbus_slave_action send_short(mbus_slave *s, uint8_t c, uint8_t a) {
    uint8_t buf[5];
    size_t n = mbus_encode_short(buf, sizeof buf, c, a);
    mbus_frame f;
    mbus_error err;
    if (mbus_frame_parse(buf, n, &f, &err) != MBUS_OK) return SLAVE_IGNORE;
    return mbus_slave_handle(s, &f, out, sizeof out, &out_len);
}

static mbus_slave_action send_select(mbus_slave *s, const char *pattern) {
    mbus_secondary sa;
    uint8_t data[8], buf[32];
    if (!mbus_secondary_parse(pattern, &sa)) return SLAVE_IGNORE;
    mbus_secondary_encode(&sa, data);
    size_t n = mbus_encode_long(buf, sizeof buf, MBUS_C_SND_UD, MBUS_ADDR_SELECTED,
                                MBUS_CI_SELECT, data, 8);
    mbus_frame f;
    mbus_error err;
    if (mbus_frame_parse(buf, n, &f, &err) != MBUS_OK) return SLAVE_IGNORE;
    return mbus_slave_handle(s, &f, out, sizeof out, &out_len);
}

static int page_of_answer(void) {
    return out_len > 15 ? out[15] : -1;
}

#define REQ_FCB1 0x7B
#define REQ_FCB0 0x5B

static void test_nke(void) {
    mbus_slave s;
    make_slave(&s, 1);
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, 5), SLAVE_ACK);
    CHECK_INT(out_len, 1);
    CHECK_INT(out[0], 0xE5);
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, 6), SLAVE_IGNORE);
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, MBUS_ADDR_BROADCAST), SLAVE_IGNORE);
    mbus_slave_free(&s);
}

static void test_fcb_paging(void) {
    mbus_slave s;
    make_slave(&s, 3);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_RSP);
    CHECK_INT(out_len, 37);
    CHECK_INT(page_of_answer(), 0);
    CHECK_INT(send_short(&s, REQ_FCB0, 5), SLAVE_RSP); /* toggled: next page */
    CHECK_INT(page_of_answer(), 1);
    CHECK_INT(send_short(&s, REQ_FCB0, 5), SLAVE_RSP); /* same FCB: a retry, same page */
    CHECK_INT(page_of_answer(), 1);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_RSP);
    CHECK_INT(page_of_answer(), 2);
    CHECK_INT(send_short(&s, REQ_FCB0, 5), SLAVE_RSP); /* wraps */
    CHECK_INT(page_of_answer(), 0);
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, 5), SLAVE_ACK);
    CHECK_INT(send_short(&s, REQ_FCB0, 5), SLAVE_RSP); /* after reset: page 0 whatever the FCB */
    CHECK_INT(page_of_answer(), 0);
    CHECK_INT(send_short(&s, REQ_FCB0, 4), SLAVE_IGNORE);
    CHECK_INT(s.requests, 6);
    mbus_slave_free(&s);
}

static void test_select(void) {
    mbus_slave s;
    make_slave(&s, 1);
    CHECK_INT(send_short(&s, REQ_FCB1, MBUS_ADDR_SELECTED), SLAVE_IGNORE); /* not selected */
    CHECK_INT(send_select(&s, "12345678FFFFFFFF"), SLAVE_ACK);
    CHECK(s.selected);
    CHECK_INT(send_short(&s, REQ_FCB1, MBUS_ADDR_SELECTED), SLAVE_RSP);
    CHECK_INT(send_select(&s, "87654321FFFFFFFF"), SLAVE_IGNORE); /* another meter: deselected */
    CHECK(!s.selected);
    CHECK_INT(send_short(&s, REQ_FCB0, MBUS_ADDR_SELECTED), SLAVE_IGNORE);
    CHECK_INT(send_select(&s, "1234FFFF4024FF07"), SLAVE_ACK); /* id wildcard digits, PAD (0x4024), medium 7 */
    CHECK_INT(send_select(&s, "1234FFFF4024FF06"), SLAVE_IGNORE); /* wrong medium */
    CHECK_INT(send_select(&s, "FFFFFFFFFFFFFFFF"), SLAVE_ACK);
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, MBUS_ADDR_SELECTED), SLAVE_ACK); /* deselects */
    CHECK(!s.selected);
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, MBUS_ADDR_SELECTED), SLAVE_IGNORE);
    mbus_slave_free(&s);
}

static void test_faults(void) {
    mbus_slave s;
    make_slave(&s, 1);
    s.faults.silent = true;
    CHECK_INT(send_short(&s, MBUS_C_SND_NKE, 5), SLAVE_IGNORE);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_IGNORE);
    mbus_slave_free(&s);

    make_slave(&s, 1);
    s.faults.answer_every = 2;
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_IGNORE);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_RSP);
    CHECK_INT(send_short(&s, REQ_FCB0, 5), SLAVE_IGNORE);
    CHECK_INT(send_short(&s, REQ_FCB0, 5), SLAVE_RSP);
    mbus_slave_free(&s);

    make_slave(&s, 1);
    s.faults.answer_after = 2;
    s.faults.corrupt_first = 1;
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_IGNORE);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_IGNORE);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_RSP);
    mbus_frame f;
    mbus_error err;
    CHECK_INT(mbus_frame_parse(out, out_len, &f, &err), MBUS_ERR_CHECKSUM);
    CHECK_INT(send_short(&s, REQ_FCB1, 5), SLAVE_RSP);
    CHECK_INT(mbus_frame_parse(out, out_len, &f, &err), MBUS_OK);
    CHECK_INT(s.answers, 2);
    mbus_slave_free(&s);
}

int main(void) {
    test_nke();
    test_fcb_paging();
    test_select();
    test_faults();
    return test_summary("test_sim_slave");
}
