/* Unit tests of the bench's Modbus side: its own register conversion, the
 * meter emulator's answers, the plan's errors and the modbus expectation on
 * a hand-made trace. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/test.h"
#include "sim/expect/expect.h"
#include "sim/modbus/modbus_meter.h"
#include "sim/modbus/modbus_plan.h"
#include "sim/modbus/modbus_regs.h"

static bool regs_are(const uint16_t *r, unsigned n, const uint16_t *want) {
    return memcmp(r, want, n * sizeof *r) == 0;
}

/* Hand-computed: 54.321f = 0x425948B4, 54321000 = 0x00000000033CDF68. */
static void test_regs(void) {
    uint16_t r[4];
    mr_encode(54.321, MR_FLOAT32, MR_ABCD, r);
    CHECK(regs_are(r, 2, (const uint16_t[]){0x4259, 0x48B4}));
    mr_encode(54.321, MR_FLOAT32, MR_DCBA, r);
    CHECK(regs_are(r, 2, (const uint16_t[]){0xB448, 0x5942}));
    mr_encode(54.321, MR_FLOAT32, MR_CDAB, r);
    CHECK(regs_are(r, 2, (const uint16_t[]){0x48B4, 0x4259}));
    mr_encode(54.321, MR_FLOAT32, MR_BADC, r);
    CHECK(regs_are(r, 2, (const uint16_t[]){0x5942, 0xB448}));
    mr_encode(54321000, MR_INT64, MR_CDAB, r);
    CHECK(regs_are(r, 4, (const uint16_t[]){0xDF68, 0x033C, 0x0000, 0x0000}));
    mr_encode(54321000, MR_INT64, MR_BADC, r);
    CHECK(regs_are(r, 4, (const uint16_t[]){0x0000, 0x0000, 0x3C03, 0x68DF}));
    mr_encode(-2, MR_INT16, MR_DCBA, r);
    CHECK_INT(r[0], 0xFEFF);
    mr_encode(70000, MR_UINT16, MR_ABCD, r); /* saturates */
    CHECK_INT(r[0], 0xFFFF);
    mr_encode(-1e12, MR_INT32, MR_ABCD, r);
    CHECK(regs_are(r, 2, (const uint16_t[]){0x8000, 0x0000}));
    for (int f = MR_INT16; f <= MR_FLOAT64; f++)
        for (int o = MR_ABCD; o <= MR_BADC; o++) {
            mr_encode(-1234, (mr_format)f, (mr_order)o, r);
            double want = f == MR_UINT16 || f == MR_UINT32 ? 0 : -1234;
            CHECK_NEAR(mr_decode(r, (mr_format)f, (mr_order)o), want, 1e-9);
        }
    mr_encode(NAN, MR_FLOAT32, MR_ABCD, r);
    CHECK(isnan(mr_decode(r, MR_FLOAT32, MR_ABCD)));
}

static modbus_plan *load_plan(const char *yaml, cfg_node **root, cfg_err *err) {
    *root = cfg_load_string(yaml, "t.yaml", err);
    return *root ? modbus_plan_parse(*root, &(scenario_paths){".", ".", "fixtures"}, err) : NULL;
}

static void test_meter_answers(void) {
    cfg_node *root;
    cfg_err err;
    modbus_plan *p = load_plan(
        "meters:\n"
        "  - name: em1\n"
        "    tcp: true\n"
        "    unit_id: 3\n"
        "    registers:\n"
        "      - {address: 0, format: uint32, value: 1000, per_hour: 3600}\n"
        "      - {address: 2, format: int16, value: -5}\n"
        "      - {bank: coils, address: 1, value: 1}\n"
        "    faults: {silent_from: 10s, silent_until: 20s, exceptions: [{function: 4, code: 6}]}\n",
        &root, &err);
    CHECK_MSG(p != NULL, "%s", err.msg);
    if (!p) {
        cfg_free(root);
        return;
    }
    const mb_meter_spec *s = &p->meters[0];
    uint8_t out[260];
    const uint8_t read3[] = {3, 0, 0, 0, 3};
    size_t n = modbus_meter_answer(s, 5000000000LL, 3, read3, 5, out);
    /* 1000 + 5 s at 1/s = 1005 = 0x000003ED, then -5 */
    CHECK(n == 8 && !memcmp(out, (const uint8_t[]){3, 6, 0x00, 0x00, 0x03, 0xED, 0xFF, 0xFB}, 8));
    CHECK_INT(modbus_meter_answer(s, 0, 4, read3, 5, out), 0);              /* another unit */
    CHECK_INT(modbus_meter_answer(s, 0, 0, read3, 5, out), 0);              /* broadcast */
    CHECK_INT(modbus_meter_answer(s, 15000000000LL, 3, read3, 5, out), 0);  /* silent window */
    CHECK_INT(modbus_meter_answer(s, 20000000000LL, 3, read3, 5, out), 8);  /* answers again */
    const uint8_t past[] = {3, 0, 2, 0, 2};                                 /* 3 unmapped */
    CHECK(modbus_meter_answer(s, 0, 3, past, 5, out) == 2 && out[0] == 0x83 && out[1] == 2);
    const uint8_t zero[] = {3, 0, 0, 0, 0};
    CHECK(modbus_meter_answer(s, 0, 3, zero, 5, out) == 2 && out[0] == 0x83 && out[1] == 3);
    const uint8_t write[] = {6, 0, 0, 0, 1};
    CHECK(modbus_meter_answer(s, 0, 3, write, 5, out) == 2 && out[0] == 0x86 && out[1] == 1);
    const uint8_t input[] = {4, 0, 0, 0, 1};                                /* rule: code 6 */
    CHECK(modbus_meter_answer(s, 0, 3, input, 5, out) == 2 && out[0] == 0x84 && out[1] == 6);
    const uint8_t coils[] = {1, 0, 1, 0, 1};
    CHECK(modbus_meter_answer(s, 0, 3, coils, 5, out) == 3 && out[1] == 1 && out[2] == 1);
    modbus_plan_free(p);
    cfg_free(root);
}

static bool plan_fails(const char *yaml, const char *want) {
    cfg_node *root;
    cfg_err err = {""};
    modbus_plan *p = load_plan(yaml, &root, &err);
    bool failed = !p && strstr(err.msg, want) && strstr(err.msg, "t.yaml:");
    if (!failed) fprintf(stderr, "plan %s gave: %s\n", yaml, err.msg);
    modbus_plan_free(p);
    cfg_free(root);
    return failed;
}

static void test_plan_errors(void) {
    CHECK(plan_fails("meters: [{name: a, tcp: true, registers: [{address: 0, format: uint32, value: 1},"
                     " {address: 1, value: 2}]}]", "overlaps"));
    CHECK(plan_fails("meters: [{name: a, registers: [{address: 0, value: 1}]}]", "exactly one of tcp"));
    CHECK(plan_fails("meters: [{name: a, tcp: true, registers: [{address: 0, format: f32, value: 1}]}]",
                     "unknown format"));
    CHECK(plan_fails("meters: [{name: a, rtu: {baud: 9600}, unit_id: any, registers: []}]", "TCP meters only"));
    CHECK(plan_fails("meters: [{name: a, tcp: true, map: nope/missing.yaml}]", "register map nope/missing.yaml: no such file in the scenario's folder"));
    CHECK(plan_fails("masters: [{name: m, tcp: true, reads: [{at: 1s, bank: holding, function: 3}]}]",
                     "bank or function"));
    CHECK(plan_fails("masters: [{name: m, tcp: true, reads: [{at: 1s, data: \"0\"}]}]", "pairs of hex"));
    CHECK(plan_fails("meters: [{name: a, tcp: true, registers: []}]\nmasters: [{name: a, tcp: true, reads: []}]",
                     "used twice"));
}

/* The expectation on a hand-made trace of a master. */
static trace tr;
static char msg[1024];

static bool eval(const char *yaml) {
    cfg_err err;
    cfg_node *root = cfg_load_string(yaml, "test", &err);
    expectation ex;
    bool ok = false;
    if (root && expect_parse(root, &ex, &err)) {
        ex_context ctx = {.tr = &tr};
        ok = expect_eval(&ex, &ctx, msg, sizeof msg);
        ex_context_free(&ctx);
    } else snprintf(msg, sizeof msg, "parse: %s", err.msg);
    cfg_free(root);
    return ok;
}

static void test_expect(void) {
    trace_init(&tr, 0);
    /* an answer (TCP) to holding 10..13: 54.321 CDAB, then 11490378 ABCD */
    const uint8_t ans[] = {0, 1, 0, 0, 0, 11, 1, 3, 8, 0x48, 0xB4, 0x42, 0x59, 0x00, 0xAF, 0x54, 0x4A};
    trace_add(&tr, "scada", TRACE_GW_TO_BUS, 0, 5000000000LL, 5000000000LL, ans, sizeof ans,
              "answer fc=3 u=1 a=10 n=4 tcp");
    const uint8_t exc[] = {0, 2, 0, 0, 0, 3, 1, 0x83, 2};
    trace_add(&tr, "scada", TRACE_GW_TO_BUS, 0, 6000000000LL, 6000000000LL, exc, sizeof exc,
              "exception 2 fc=3 u=1 a=100 n=1 tcp");
    trace_add(&tr, "scada", TRACE_NOTE, 0, 7000000000LL, 7000000000LL, NULL, 0, "timeout fc=3 u=4 a=10 n=4");
    trace_add(&tr, "em1", TRACE_GW_TO_BUS, 0, 1, 1, ans, 12, "fc=3 u=1 a=0 n=5");
    trace_add(&tr, "em1", TRACE_GW_TO_BUS, 0, 2, 2, ans, 12, "fc=3 u=1 a=12 n=4 (no answer)");
    CHECK_MSG(eval("modbus: {master: scada, bank: holding, address: 10, format: float32, byte_order: CDAB,"
                   " equals: 54.321, tolerance: 1e-5}"), "%s", msg);
    CHECK_MSG(!eval("modbus: {master: scada, bank: holding, address: 10, format: float32, equals: 54.321}"),
              "%s", msg);
    CHECK_MSG(eval("modbus: {master: scada, address: 12, format: uint32, equals: 11490378}"), "%s", msg);
    CHECK_MSG(eval("modbus: {master: scada, address: 12, registers: \"0x00AF 0x544A\"}"), "%s", msg);
    CHECK_MSG(!eval("modbus: {master: scada, address: 13, format: uint32, equals: 0}"), "%s", msg);
    CHECK(strstr(msg, "observed none") != NULL);
    CHECK_MSG(eval("modbus: {master: scada, address: 100, exception: 2}"), "%s", msg);
    CHECK_MSG(!eval("modbus: {master: scada, address: 100, exception: 3}"), "%s", msg);
    CHECK(strstr(msg, "observed exception 2") != NULL);
    CHECK_MSG(eval("modbus: {master: scada, unit: 4, timeout: true}"), "%s", msg);
    CHECK_MSG(eval("modbus: {master: scada, timeout: true, count: 1}"), "%s", msg);
    CHECK_MSG(!eval("modbus: {master: scada, address: 10, format: float32, byte_order: CDAB, equals: 54.321,"
                    " tolerance: 1e-5, after: 5.5s}"), "%s", msg);
    CHECK_MSG(eval("modbus: {meter: em1, function: 3, count: 2}"), "%s", msg);
    CHECK_MSG(eval("modbus: {meter: em1, address: 4, count: 1}"), "%s", msg);
    CHECK_MSG(!eval("modbus: {meter: em1, address: 20, min: 1}"), "%s", msg);
    CHECK(!eval("modbus: {master: a, meter: b}"));
    CHECK(!eval("modbus: {master: a, equals: 1}"));
    CHECK(!eval("modbus: {master: a, address: 1, exception: 2, timeout: true}"));
    trace_free(&tr);
}

int main(void) {
    test_regs();
    test_meter_answers();
    test_plan_errors();
    test_expect();
    return test_summary("test_sim_modbus");
}
