/* Modbus codec: every format and byte order, saturation, CRC, framing, read PDUs. */
#include "codec/modbus/modbus_adu.h"
#include "codec/modbus/modbus_value.h"
#include "tests/test.h"

/* Table 37 of the MUC500 manual: 0x449A522B in the four orders. */
static void test_orders_float32(void) {
    static const struct { mbv_order o; uint16_t r0, r1; } rows[] = {
        {MBV_ABCD, 0x449A, 0x522B}, {MBV_BADC, 0x9A44, 0x2B52},
        {MBV_CDAB, 0x522B, 0x449A}, {MBV_DCBA, 0x2B52, 0x9A44},
    };
    for (unsigned i = 0; i < 4; i++) {
        uint16_t r[2];
        bool clipped = true;
        mbv_encode(1234.5678, MBV_FLOAT32, rows[i].o, r, &clipped);
        CHECK_MSG(r[0] == rows[i].r0 && r[1] == rows[i].r1, "%s: %04X %04X",
                  mbv_order_name(rows[i].o), r[0], r[1]);
        CHECK(!clipped);
        CHECK_NEAR(mbv_decode(r, MBV_FLOAT32, rows[i].o), 1234.5677490234375, 0);
    }
}

static void test_orders_64(void) {
    uint16_t r[4];
    mbv_encode_int(0x0102030405060708LL, MBV_INT64, MBV_ABCD, r, NULL);
    CHECK(r[0] == 0x0102 && r[1] == 0x0304 && r[2] == 0x0506 && r[3] == 0x0708);
    mbv_encode_int(0x0102030405060708LL, MBV_INT64, MBV_DCBA, r, NULL);
    CHECK(r[0] == 0x0807 && r[1] == 0x0605 && r[2] == 0x0403 && r[3] == 0x0201);
    mbv_encode_int(0x0102030405060708LL, MBV_INT64, MBV_CDAB, r, NULL);
    CHECK(r[0] == 0x0708 && r[1] == 0x0506 && r[2] == 0x0304 && r[3] == 0x0102);
    mbv_encode_int(0x0102030405060708LL, MBV_INT64, MBV_BADC, r, NULL);
    CHECK(r[0] == 0x0201 && r[1] == 0x0403 && r[2] == 0x0605 && r[3] == 0x0807);
    mbv_encode(-1.5, MBV_FLOAT64, MBV_ABCD, r, NULL); /* 0xBFF8000000000000 */
    CHECK(r[0] == 0xBFF8 && r[1] == 0 && r[2] == 0 && r[3] == 0);
    for (int o = 0; o < 4; o++) {
        mbv_encode(-1.5, MBV_FLOAT64, (mbv_order)o, r, NULL);
        CHECK_NEAR(mbv_decode(r, MBV_FLOAT64, (mbv_order)o), -1.5, 0);
        mbv_encode_int(-123456789012LL, MBV_INT64, (mbv_order)o, r, NULL);
        CHECK_NEAR(mbv_decode(r, MBV_INT64, (mbv_order)o), -123456789012.0, 0);
    }
}

static void test_integers(void) {
    uint16_t r[2];
    bool clipped;
    mbv_encode(-2.4, MBV_INT16, MBV_ABCD, r, &clipped);
    CHECK_INT(r[0], 0xFFFE);
    CHECK(!clipped);
    mbv_encode(70000, MBV_INT16, MBV_ABCD, r, &clipped);
    CHECK_INT(r[0], 0x7FFF);
    CHECK(clipped);
    mbv_encode(-1, MBV_UINT16, MBV_ABCD, r, &clipped);
    CHECK_INT(r[0], 0);
    CHECK(clipped);
    mbv_encode(12345678, MBV_UINT32, MBV_ABCD, r, NULL);
    CHECK(r[0] == 0x00BC && r[1] == 0x614E);
    mbv_encode(12345678, MBV_UINT32, MBV_BADC, r, NULL);
    CHECK(r[0] == 0xBC00 && r[1] == 0x4E61);
    mbv_encode(-100000, MBV_INT32, MBV_CDAB, r, NULL); /* 0xFFFE7960 */
    CHECK(r[0] == 0x7960 && r[1] == 0xFFFE);
    CHECK_NEAR(mbv_decode(r, MBV_INT32, MBV_CDAB), -100000, 0);
    mbv_encode(5e9, MBV_UINT32, MBV_ABCD, r, &clipped);
    CHECK(r[0] == 0xFFFF && r[1] == 0xFFFF && clipped);
    mbv_encode(0.0 / 0.0, MBV_INT32, MBV_ABCD, r, &clipped);
    CHECK(r[0] == 0 && r[1] == 0 && clipped);
    mbv_encode(2.0, MBV_BOOL, MBV_ABCD, r, NULL);
    CHECK_INT(r[0], 1);
    CHECK_INT(mbv_registers(MBV_FLOAT64), 4);
    mbv_format f;
    mbv_order o;
    CHECK(mbv_format_parse("float", &f) && f == MBV_FLOAT32);
    CHECK(mbv_format_parse("uint32", &f) && f == MBV_UINT32);
    CHECK(!mbv_format_parse("int128", &f));
    CHECK(mbv_order_parse("BADC", &o) && o == MBV_BADC);
    CHECK(!mbv_order_parse("BACD", &o));
}

static void test_adu(void) {
    /* the classic example: 01 03 00 00 00 0A -> CRC C5 CD */
    uint8_t req[8] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x0A};
    uint16_t crc = mb_crc16(req, 6);
    CHECK_INT(crc & 0xFF, 0xC5);
    CHECK_INT(crc >> 8, 0xCD);
    req[6] = 0xC5;
    req[7] = 0xCD;
    CHECK(mb_rtu_crc_ok(req, 8));
    req[7] ^= 1;
    CHECK(!mb_rtu_crc_ok(req, 8));
    CHECK_INT(mb_rtu_request_length(req, 1), 0);
    CHECK_INT(mb_rtu_request_length(req, 2), 8);
    uint8_t w16[7] = {1, 0x10, 0, 0, 0, 2, 4};
    CHECK_INT(mb_rtu_request_length(w16, 6), 0);
    CHECK_INT(mb_rtu_request_length(w16, 7), 13);
    uint8_t odd[2] = {1, 0x41};
    CHECK_INT(mb_rtu_request_length(odd, 2), -1);
    uint8_t rsp[3] = {1, 0x03, 20};
    CHECK_INT(mb_rtu_response_length(rsp, 3), 25);
    uint8_t ex[2] = {1, 0x83};
    CHECK_INT(mb_rtu_response_length(ex, 2), 5);
    uint8_t mbap[6] = {0, 1, 0, 0, 0, 6};
    CHECK_INT(mb_tcp_adu_length(mbap, 5), 0);
    CHECK_INT(mb_tcp_adu_length(mbap, 6), 12);
    mbap[2] = 1;
    CHECK_INT(mb_tcp_adu_length(mbap, 6), -1);
    mbap[2] = 0;
    mbap[5] = 1;
    CHECK_INT(mb_tcp_adu_length(mbap, 6), -1);

    mb_read_req r = {MB_FC_READ_HOLDING, 20, 2}, back;
    uint8_t pdu[8], adu[MB_ADU_MAX];
    size_t n = mb_build_read_req(&r, pdu);
    CHECK(mb_parse_read_req(pdu, n, &back) && back.address == 20 && back.count == 2);
    n = mb_tcp_wrap(0x1234, 255, pdu, n, adu);
    CHECK_INT(n, 12);
    CHECK_INT(mb_tcp_adu_length(adu, n), 12);
    CHECK_INT(adu[6], 255);
    uint16_t items[2] = {0x449A, 0x522B};
    n = mb_build_read_rsp(MB_FC_READ_HOLDING, items, 2, pdu);
    CHECK_INT(mb_check_read_rsp(&r, pdu, n), 0);
    CHECK_INT(mb_rsp_register(pdu, 1), 0x522B);
    n = mb_build_exception(MB_FC_READ_HOLDING, MB_EX_ILLEGAL_ADDRESS, pdu);
    CHECK_INT(mb_check_read_rsp(&r, pdu, n), 2);
    mb_read_req c = {MB_FC_READ_COILS, 0, 10};
    uint16_t bits[10] = {1, 0, 1, 0, 0, 0, 0, 0, 1, 1};
    n = mb_build_read_rsp(MB_FC_READ_COILS, bits, 10, pdu);
    CHECK_INT(n, 4);
    CHECK_INT(pdu[2], 0x05);
    CHECK_INT(pdu[3], 0x03);
    CHECK_INT(mb_check_read_rsp(&c, pdu, n), 0);
    CHECK_INT(mb_rsp_bit(pdu, 8), 1);
    CHECK_INT(mb_rsp_bit(pdu, 1), 0);
    c.count = 20;
    CHECK_INT(mb_check_read_rsp(&c, pdu, n), -1);
    n = mb_rtu_wrap(7, pdu, n, adu);
    CHECK(mb_rtu_crc_ok(adu, n));
}

int main(void) {
    test_orders_float32();
    test_orders_64();
    test_integers();
    test_adu();
    return test_summary("test_modbus_value");
}
