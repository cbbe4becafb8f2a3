/* Unit tests of the IEC 104 codec with APDUs written byte by byte from the
 * frame structure of IEC 60870-5-104 (clause 5: APCI control field formats;
 * clause 9 / IEC 60870-5-101 clause 7: ASDU layout with a 2-octet COT,
 * 2-octet common address and 3-octet IOA) and IEC 60870-5-4 6.8 (CP56Time2a). */
#include "codec/iec104/iec104.h"
#include "tests/test.h"

static void test_u_frames(void) {
    /* clause 5.3: U format, octet 1 = function bit | 11 */
    static const uint8_t startdt_act[] = {0x68, 0x04, 0x07, 0x00, 0x00, 0x00};
    static const uint8_t testfr_con[] = {0x68, 0x04, 0x83, 0x00, 0x00, 0x00};
    iec104_apdu a;
    CHECK_INT(iec104_apdu_needed(startdt_act, 2), 6);
    CHECK_INT(iec104_apdu_parse(startdt_act, 6, &a), 0);
    CHECK_INT(a.kind, IEC104_FRAME_U);
    CHECK_INT(a.u, IEC104_U_STARTDT_ACT);
    CHECK_INT(iec104_apdu_parse(testfr_con, 6, &a), 0);
    CHECK_INT(a.u, IEC104_U_TESTFR_CON);
    uint8_t out[6];
    CHECK_INT(iec104_encode_u(out, IEC104_U_STOPDT_CON), 6);
    static const uint8_t stopdt_con[] = {0x68, 0x04, 0x23, 0x00, 0x00, 0x00};
    CHECK(memcmp(out, stopdt_con, 6) == 0);
    /* two functions at once, or none, is not a U frame */
    static const uint8_t two[] = {0x68, 0x04, 0x0F, 0x00, 0x00, 0x00};
    static const uint8_t none[] = {0x68, 0x04, 0x03, 0x00, 0x00, 0x00};
    CHECK_INT(iec104_apdu_parse(two, 6, &a), IEC104_ERR_CONTROL);
    CHECK_INT(iec104_apdu_parse(none, 6, &a), IEC104_ERR_CONTROL);
}

static void test_s_frame(void) {
    /* clause 5.2: S format 01 00, N(R) shifted left by one in octets 3-4 */
    static const uint8_t s_nr_300[] = {0x68, 0x04, 0x01, 0x00, 0x58, 0x02};
    iec104_apdu a;
    CHECK_INT(iec104_apdu_parse(s_nr_300, 6, &a), 0);
    CHECK_INT(a.kind, IEC104_FRAME_S);
    CHECK_INT(a.nr, 300);
    uint8_t out[6];
    iec104_encode_s(out, 300);
    CHECK(memcmp(out, s_nr_300, 6) == 0);
    iec104_encode_s(out, 32767);
    CHECK_INT(out[4], 0xFE);
    CHECK_INT(out[5], 0xFF);
    iec104_encode_s(out, 32768); /* wraps modulo 2^15 */
    CHECK_INT(out[4] | out[5], 0);
}

static void test_gi_activation(void) {
    /* The general interrogation every master sends after STARTDT:
     * I frame N(S)=0 N(R)=0, C_IC_NA_1, VSQ 1, COT 6 act, OA 0, CA 1, IOA 0, QOI 20 */
    static const uint8_t gi[] = {0x68, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x64, 0x01,
                                 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14};
    iec104_apdu a;
    CHECK_INT(iec104_apdu_parse(gi, sizeof gi, &a), 0);
    CHECK_INT(a.kind, IEC104_FRAME_I);
    CHECK_INT(a.asdu_len, 10);
    iec104_asdu asdu;
    CHECK_INT(iec104_asdu_decode(a.asdu, a.asdu_len, &asdu), 0);
    CHECK_INT(asdu.type, C_IC_NA_1);
    CHECK_INT(asdu.n, 1);
    CHECK_INT(asdu.cot, COT_ACT);
    CHECK(!asdu.negative && !asdu.test);
    CHECK_INT(asdu.ca, 1);
    CHECK_INT(asdu.io[0].ioa, 0);
    CHECK_INT(asdu.io[0].ival, IEC104_QOI_STATION);
    /* and back: the confirmation is the same ASDU with COT 7 */
    asdu.cot = COT_ACT_CON;
    uint8_t out[IEC104_APDU_MAX];
    int len = iec104_asdu_encode(&asdu, out + 6, sizeof out - 6);
    CHECK_INT(len, 10);
    iec104_encode_i_header(out, (size_t)len, 0, 1);
    static const uint8_t con[] = {0x68, 0x0E, 0x00, 0x00, 0x02, 0x00, 0x64, 0x01,
                                  0x07, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14};
    CHECK(memcmp(out, con, sizeof con) == 0);
}

static void test_float_spont(void) {
    /* M_ME_NC_1 spont, N(S)=1 N(R)=2, CA 1, IOA 1001 (E9 03 00), 12.5 = 0x41480000 LE, QDS 0 */
    static const uint8_t apdu[] = {0x68, 0x12, 0x02, 0x00, 0x04, 0x00, 0x0D, 0x01, 0x03, 0x00,
                                   0x01, 0x00, 0xE9, 0x03, 0x00, 0x00, 0x00, 0x48, 0x41, 0x00};
    iec104_apdu a;
    iec104_asdu asdu;
    CHECK_INT(iec104_apdu_parse(apdu, sizeof apdu, &a), 0);
    CHECK_INT(a.ns, 1);
    CHECK_INT(a.nr, 2);
    CHECK_INT(iec104_asdu_decode(a.asdu, a.asdu_len, &asdu), 0);
    CHECK_INT(asdu.type, M_ME_NC_1);
    CHECK_INT(asdu.cot, COT_SPONTANEOUS);
    CHECK_INT(asdu.io[0].ioa, 1001);
    CHECK_NEAR(asdu.io[0].fval, 12.5, 0);
    CHECK_INT(asdu.io[0].q, 0);
    uint8_t out[64];
    CHECK_INT(iec104_asdu_encode(&asdu, out, sizeof out), 14);
    CHECK(memcmp(out, apdu + 6, 14) == 0);
    char text[128];
    iec104_asdu_describe(&asdu, text, sizeof text);
    CHECK_STR(text, "M_ME_NC_1 spont ca=1 ioa=1001 12.5 q=00");
}

static void test_quality_and_negative(void) {
    /* M_ME_NB_1 scaled -2 (FE FF) with IV|NT, COT 20 inrogen; then P/N bit on COT 47 */
    iec104_asdu a = {.type = M_ME_NB_1, .n = 1, .cot = COT_INROGEN, .ca = 0x1234};
    a.io[0] = (iec104_io){.ioa = 0x010203, .ival = -2, .q = IEC104_QDS_IV | IEC104_QDS_NT};
    uint8_t out[64];
    static const uint8_t want[] = {0x0B, 0x01, 0x14, 0x00, 0x34, 0x12,
                                   0x03, 0x02, 0x01, 0xFE, 0xFF, 0xC0};
    CHECK_INT(iec104_asdu_encode(&a, out, sizeof out), 12);
    CHECK(memcmp(out, want, sizeof want) == 0);
    /* C_SC_NA_1 execute ON to IOA 5000 answered "unknown IOA": COT 0x40|47 */
    static const uint8_t neg[] = {0x2D, 0x01, 0x6F, 0x00, 0x01, 0x00, 0x88, 0x13, 0x00, 0x01};
    iec104_asdu d;
    CHECK_INT(iec104_asdu_decode(neg, sizeof neg, &d), 0);
    CHECK_INT(d.cot, COT_UNKNOWN_IOA);
    CHECK(d.negative);
    CHECK_INT(d.io[0].ioa, 5000);
    CHECK_INT(d.io[0].ival, 1);
    CHECK_INT(d.io[0].q & IEC104_CMD_SELECT, 0);
    /* the select bit of a C_DC_NA_1 select OFF (DCO 0x81) */
    static const uint8_t dc_sel[] = {0x2E, 0x01, 0x06, 0x00, 0x01, 0x00, 0x89, 0x13, 0x00, 0x81};
    CHECK_INT(iec104_asdu_decode(dc_sel, sizeof dc_sel, &d), 0);
    CHECK_INT(d.io[0].ival, 1);
    CHECK_INT(d.io[0].q, IEC104_CMD_SELECT);
}

static void test_sequence_and_counters(void) {
    /* SQ=1: three single points from IOA 100: 01 83 ... 64 00 00 | 01 | 00 | 81 */
    static const uint8_t sq[] = {0x01, 0x83, 0x14, 0x00, 0x01, 0x00,
                                 0x64, 0x00, 0x00, 0x01, 0x00, 0x81};
    iec104_asdu a;
    CHECK_INT(iec104_asdu_decode(sq, sizeof sq, &a), 0);
    CHECK(a.sq);
    CHECK_INT(a.n, 3);
    CHECK_INT(a.io[2].ioa, 102);
    CHECK_INT(a.io[2].ival, 1);
    CHECK_INT(a.io[2].q, IEC104_QDS_IV);
    CHECK_INT(a.io[1].ival, 0);
    /* M_IT_NA_1 counter 123456 (40 E2 01 00), sequence 5, CY: octet 0x25 */
    static const uint8_t it[] = {0x0F, 0x01, 0x25, 0x00, 0x01, 0x00,
                                 0x10, 0x27, 0x00, 0x40, 0xE2, 0x01, 0x00, 0x25};
    CHECK_INT(iec104_asdu_decode(it, sizeof it, &a), 0);
    CHECK_INT(a.cot, 37);
    CHECK_INT(a.io[0].ioa, 10000);
    CHECK_INT(a.io[0].ival, 123456);
    CHECK_INT(a.io[0].bcr_seq, 5);
    CHECK_INT(a.io[0].q, IEC104_BCR_CY);
    /* a wrong length for the count is refused, not read past the end */
    CHECK_INT(iec104_asdu_decode(it, sizeof it - 1, &a), IEC104_ERR_SIZE);
    CHECK_INT(iec104_asdu_decode(sq, sizeof sq + 0 - 1, &a), IEC104_ERR_SIZE);
    static const uint8_t unknown[] = {0x7F, 0x01, 0x06, 0x00, 0x01, 0x00, 0, 0, 0};
    CHECK_INT(iec104_asdu_decode(unknown, sizeof unknown, &a), IEC104_ERR_TYPE);
    CHECK_INT(a.type, 127);
    CHECK_INT(a.cot, COT_ACT);
    CHECK_INT(a.ca, 1);
}

static void test_cp56(void) {
    /* 2026-01-15T10:30:45.123Z, a Thursday: ms 45123 = 0xB043, min 30, hour 10,
     * day 15 | wday 4 << 5 = 0x8F, month 1, year 26 */
    static const uint8_t want[7] = {0x43, 0xB0, 0x1E, 0x0A, 0x8F, 0x01, 0x1A};
    iec104_cp56 t;
    iec104_cp56_from_ms(1768473045123LL, &t);
    uint8_t out[7];
    iec104_cp56_encode(&t, out);
    CHECK(memcmp(out, want, 7) == 0);
    int64_t ms;
    iec104_cp56 back;
    iec104_cp56_decode(want, &back);
    CHECK(iec104_cp56_to_ms(&back, &ms));
    CHECK_INT(ms, 1768473045123LL);
    /* leap day 2000-02-29T23:59:59.999Z, a Tuesday */
    iec104_cp56_from_ms(951868799999LL, &t);
    CHECK_INT(t.mday, 29);
    CHECK_INT(t.month, 2);
    CHECK_INT(t.year, 0);
    CHECK_INT(t.wday, 2);
    CHECK_INT(t.ms, 59999);
    CHECK(iec104_cp56_to_ms(&t, &ms));
    CHECK_INT(ms, 951868799999LL);
    /* IV bit travels in the minute octet */
    t.iv = true;
    iec104_cp56_encode(&t, out);
    CHECK_INT(out[2] & 0x80, 0x80);
    iec104_cp56 bad = {.ms = 60000, .mday = 1, .month = 1};
    CHECK(!iec104_cp56_to_ms(&bad, &ms));
}

static void test_time_tagged_command(void) {
    /* C_SC_TA_1 act, IOA 5000, SCO execute ON, CP56 as above: 6 + 3 + 1 + 7 octets */
    static const uint8_t cmd[] = {0x3A, 0x01, 0x06, 0x00, 0x01, 0x00, 0x88, 0x13, 0x00, 0x01,
                                  0x43, 0xB0, 0x1E, 0x0A, 0x8F, 0x01, 0x1A};
    iec104_asdu a;
    CHECK_INT(iec104_asdu_decode(cmd, sizeof cmd, &a), 0);
    CHECK_INT(a.type, C_SC_TA_1);
    CHECK_INT(a.io[0].ival, 1);
    int64_t ms;
    CHECK(iec104_cp56_to_ms(&a.io[0].t, &ms));
    CHECK_INT(ms, 1768473045123LL);
    /* C_CS_NA_1 clock sync: IOA 0 then the time */
    static const uint8_t cs[] = {0x67, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                 0x43, 0xB0, 0x1E, 0x0A, 0x8F, 0x01, 0x1A};
    CHECK_INT(iec104_asdu_decode(cs, sizeof cs, &a), 0);
    CHECK_INT(a.io[0].t.hour, 10);
    uint8_t out[32];
    CHECK_INT(iec104_asdu_encode(&a, out, sizeof out), (int)sizeof cs);
    CHECK(memcmp(out, cs, sizeof cs) == 0);
    /* M_ME_TF_1 = float + QDS + CP56: 12 octets per object */
    CHECK_INT(iec104_element_size(M_ME_TF_1), 12);
    CHECK_INT(iec104_type_with_time(M_ME_NC_1), M_ME_TF_1);
    CHECK_INT(iec104_type_without_time(M_IT_TB_1), M_IT_NA_1);
}

static void test_framing_errors(void) {
    static const uint8_t bad_start[] = {0x67, 0x04, 0x07, 0, 0, 0};
    static const uint8_t too_short[] = {0x68, 0x03, 0x07, 0, 0};
    static const uint8_t i_no_asdu[] = {0x68, 0x04, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t s_long[] = {0x68, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00};
    iec104_apdu a;
    CHECK_INT(iec104_apdu_needed(bad_start, 6), IEC104_ERR_START);
    CHECK_INT(iec104_apdu_needed(too_short, 5), IEC104_ERR_LENGTH);
    CHECK_INT(iec104_apdu_needed(bad_start, 0), 0);
    CHECK_INT(iec104_apdu_parse(i_no_asdu, 6, &a), IEC104_ERR_LENGTH);
    CHECK_INT(iec104_apdu_parse(s_long, 7, &a), IEC104_ERR_LENGTH);
    /* encoder limits: too many objects for 249 octets */
    iec104_asdu big = {.type = M_ME_TF_1, .n = 21, .cot = 3, .ca = 1};
    uint8_t out[IEC104_APDU_MAX];
    CHECK_INT(iec104_max_objects(M_ME_TF_1), 16);
    CHECK_INT(iec104_asdu_encode(&big, out, sizeof out), IEC104_ERR_SPACE);
    big.n = 16;
    CHECK_INT(iec104_asdu_encode(&big, out, sizeof out), 6 + 16 * 15);
}

/* The type table (indexed by type identification) over all 256 values: the
 * eight monitor/command pairs with and without CP56Time2a, 7 octets apart,
 * and every other value left alone. */
static void test_type_table(void) {
    int pairs = 0, known = 0;
    for (int t = 0; t < 256; t++) {
        uint8_t with = iec104_type_with_time((uint8_t)t);
        known += iec104_type_known((uint8_t)t);
        if (!iec104_type_known((uint8_t)t)) {
            CHECK_INT(iec104_element_size((uint8_t)t), -1);
            CHECK(!iec104_type_has_time((uint8_t)t));
            CHECK_INT(with, t);
            CHECK_INT(iec104_type_without_time((uint8_t)t), t);
            continue;
        }
        if (with == t)
            continue;
        pairs++;
        CHECK(!iec104_type_has_time((uint8_t)t));
        CHECK(iec104_type_has_time(with));
        CHECK_INT(iec104_type_without_time(with), t);
        CHECK_INT(iec104_type_with_time(with), with);
        CHECK_INT(iec104_element_size(with) - iec104_element_size((uint8_t)t), 7);
    }
    CHECK_INT(pairs, 8);
    CHECK_INT(known, 21);
    CHECK_INT(iec104_type_with_time(C_SC_NA_1), C_SC_TA_1);
    CHECK_INT(iec104_type_without_time(M_DP_TB_1), M_DP_NA_1);
    CHECK(iec104_type_has_time(C_CS_NA_1)); /* the time is its element */
    CHECK_INT(iec104_type_with_time(C_CS_NA_1), C_CS_NA_1);
    CHECK(!iec104_type_has_time(C_IC_NA_1));
}

static void test_names(void) {
    CHECK_INT(iec104_type_parse("M_IT_TB_1"), 37);
    CHECK_INT(iec104_type_parse("M_XX"), -1);
    CHECK_STR(iec104_cot_name(3), "spont");
    CHECK_STR(iec104_cot_name(22), "inro2");
    CHECK_INT(iec104_cot_parse("actterm"), 10);
    CHECK_INT(iec104_cot_parse("47"), 47);
    CHECK_INT(iec104_cot_parse("nonsense"), -1);
}

int main(void) {
    test_u_frames();
    test_s_frame();
    test_gi_activation();
    test_float_spont();
    test_quality_and_negative();
    test_sequence_and_counters();
    test_cp56();
    test_time_tagged_command();
    test_framing_errors();
    test_type_table();
    test_names();
    return test_summary("test_iec104_codec");
}
