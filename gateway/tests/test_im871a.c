/* IMST iM871A HCI frames: CRC, encode/parse, link modes, RSSI, SET/GET_CONFIG. */
#include "codec/wmbus/im871a.h"
#include "tests/test.h"

static void test_crc_residue(void) {
    /* X.25 check value of "123456789" is 0x906E after inversion */
    const uint8_t digits[] = "123456789";
    uint16_t check = (uint16_t)~im_crc16(digits, 9);
    CHECK_INT(check, 0x906E);
}

static void test_roundtrip_with_everything(void) {
    const uint8_t payload[] = {0x44, 0x2D, 0x2C, 0x78, 0x56, 0x34, 0x12, 0x01, 0x07, 0x7A};
    uint8_t buf[IM_FRAME_MAX];
    size_t n = im_frame_encode(buf, sizeof buf, IM_CTRL_TIMESTAMP | IM_CTRL_RSSI | IM_CTRL_CRC,
                               IM_EP_RADIOLINK, IM_WMBUSMSG_IND, payload, sizeof payload,
                               0x01020304, 150);
    CHECK_INT(n, 4 + sizeof payload + 4 + 1 + 2);
    CHECK_INT(buf[0], 0xA5);
    CHECK_INT(buf[1], 0xE2);
    CHECK_INT(im_frame_needed(buf, 3), 0);
    CHECK_INT(im_frame_needed(buf, 4), (long)n);
    im_frame f;
    char why[64];
    CHECK(im_frame_parse(buf, n, &f, why, sizeof why));
    CHECK_INT(f.endpoint, IM_EP_RADIOLINK);
    CHECK_INT(f.msg, IM_WMBUSMSG_IND);
    CHECK_INT(f.len, sizeof payload);
    CHECK(memcmp(f.payload, payload, sizeof payload) == 0);
    CHECK_INT(f.timestamp, 0x01020304);
    CHECK_INT(f.rssi, 150);
    buf[6] ^= 0x40; /* one bit of the payload */
    CHECK(!im_frame_parse(buf, n, &f, why, sizeof why));
    CHECK_STR(why, "CRC16 mismatch");
}

static void test_plain_frame_and_resync(void) {
    uint8_t buf[16];
    size_t n = im_frame_encode(buf, sizeof buf, 0, IM_EP_DEVMGMT, IM_PING_REQ, NULL, 0, 0, 0);
    CHECK_INT(n, 4);
    CHECK_INT(buf[1], 0x01);
    im_frame f;
    CHECK(im_frame_parse(buf, n, &f, NULL, 0));
    CHECK(!f.has_crc && !f.has_rssi && !f.has_timestamp);
    uint8_t junk[] = {0x00, 0xA5};
    CHECK_INT(im_frame_needed(junk, 2), -1);
    uint8_t reserved[] = {0xA5, 0x11, 0x01, 0x00};
    CHECK(!im_frame_parse(reserved, 4, &f, NULL, 0));
}

static void test_modes_and_rssi(void) {
    CHECK_INT(im_mode_parse("T1"), 3);
    CHECK_INT(im_mode_parse("c1"), 6);
    CHECK_INT(im_mode_parse("S1"), 0);
    CHECK_INT(im_mode_parse("CT"), 10);
    CHECK_INT(im_mode_parse("X9"), -1);
    CHECK_STR(im_mode_name(7), "C1B");
    CHECK(im_mode_name(42) == NULL);
    CHECK_NEAR(im_rssi_dbm(45), -100.0, 1e-9);
    CHECK_NEAR(im_rssi_dbm(230), 0.0, 1e-9);
    CHECK_NEAR(im_rssi_dbm(255), 0.0, 1e-9);
    CHECK_NEAR(im_rssi_dbm(137), -100.0 + 92 * 100.0 / 185, 1e-9);
    CHECK_INT(im_rssi_raw(-100), 45);
    CHECK_INT(im_rssi_raw(-80), 82);
    CHECK_NEAR(im_rssi_dbm(im_rssi_raw(-73.0)), -73.0, 0.3);
}

static void test_config(void) {
    im_config c = {.save = false, .has_link_mode = true, .link_mode = IM_MODE_C1A,
                   .has_rssi = true, .rssi_on = true, .has_timestamp = true, .timestamp_on = false};
    uint8_t p[16];
    size_t n = im_config_encode_set(&c, p, sizeof p);
    const uint8_t want[] = {0x00, 0x02, 0x06, 0x30, 0x01, 0x00};
    CHECK_INT(n, sizeof want);
    CHECK(memcmp(p, want, sizeof want) == 0);
    im_config back;
    CHECK(im_config_parse(p, n, true, &back));
    CHECK(back.has_link_mode && back.link_mode == IM_MODE_C1A && back.rssi_on && !back.timestamp_on);
    /* a GET_CONFIG answer with more fields than we send: device mode, link mode,
     * manufacturer and id, then IIFlag2 with power level and RSSI */
    const uint8_t full[] = {0x1B, 0x00, 0x03, 0x2D, 0x2C, 0x78, 0x56, 0x34, 0x12, 0x11, 0x05, 0x01};
    CHECK(im_config_parse(full, sizeof full, false, &back));
    CHECK_INT(back.link_mode, IM_MODE_T1);
    CHECK(back.has_rssi && back.rssi_on);
    CHECK(!im_config_parse(full, 5, false, &back)); /* manufacturer cut short */
}

int main(void) {
    test_crc_residue();
    test_roundtrip_with_everything();
    test_plain_frame_and_resync();
    test_modes_and_rssi();
    test_config();
    return test_summary("test_im871a");
}
