/* Unit tests of the IEC 104 server's mapping: push modes with the deadband
 * measured from the last transmitted value (CU-XE #44), conversions with
 * scaling and overflow, quality bits, and configuration errors with positions. */
#include <stdlib.h>

#include "north/iec104/iec104_int.h"
#include "core/clock.h"
#include "tests/test.h"

static dp point(double v, unsigned quality) {
    dp p = {.id = "m/0", .value = {.type = DP_DOUBLE, .d = v}, .unit = "", .quality = quality,
            .ts_ns = 1768473045123LL * 1000000};
    return p;
}

/* update, and when it asks for a transmission, count it as transmitted */
static bool push(iec104_map *m, double v, unsigned q) {
    dp p = point(v, q);
    bool send = iec104_map_update(m, &p);
    if (send)
        iec104_map_transmitted(m);
    return send;
}

static void test_absolute_deadband(void) {
    iec104_map m = {.type = M_ME_NC_1, .push = PUSH_DEADBAND, .deadband = 0.1, .scaling = 1};
    CHECK(push(&m, 12.345, 0));   /* first value always */
    CHECK(!push(&m, 12.40, 0));   /* 0.055 */
    CHECK(!push(&m, 12.44, 0));   /* 0.095 from 12.345, not from 12.40 */
    CHECK(push(&m, 12.45, 0));    /* 0.105 from the last transmitted */
    CHECK(!push(&m, 12.45 - 0.1, 0)); /* exactly the band: not exceeded */
    CHECK(push(&m, 12.45, DPQ_INVALID)); /* quality change */
    CHECK(!push(&m, 12.45, DPQ_INVALID));
}

static void test_relative_and_modes(void) {
    iec104_map r = {.type = M_ME_NB_1, .push = PUSH_DEADBAND, .deadband = 10, .relative = true,
                    .scaling = 1};
    CHECK(push(&r, 20, 0));
    CHECK(!push(&r, 21, 0)); /* 5 % */
    CHECK(push(&r, 23, 0));  /* 15 % */
    CHECK(!push(&r, 25, 0)); /* 8.7 % of 23 */
    iec104_map c = {.type = M_ME_NC_1, .push = PUSH_CHANGE, .scaling = 1};
    CHECK(push(&c, 1, 0));
    CHECK(!push(&c, 1, 0));
    CHECK(push(&c, 1.0001, 0));
    iec104_map a = {.type = M_ME_NC_1, .push = PUSH_ALWAYS, .scaling = 1};
    CHECK(push(&a, 1, 0));
    CHECK(push(&a, 1, 0));
    iec104_map sp = {.type = M_SP_NA_1, .push = PUSH_CHANGE, .scaling = 1};
    CHECK(push(&sp, 20, 0));
    CHECK(!push(&sp, 21, 0)); /* still ON */
    CHECK(push(&sp, 0, 0));
}

static void test_conversions(void) {
    iec104_io io;
    iec104_map m = {.type = M_ME_NA_1, .push = PUSH_ALWAYS, .scaling = 0.01};
    push(&m, 50, 0); /* 0.5 normalized */
    iec104_map_fill(&m, M_ME_NA_1, &io);
    CHECK_INT(io.ival, 16384);
    CHECK_INT(io.q, 0);
    push(&m, 150, 0); /* 1.5: clamped, OV */
    iec104_map_fill(&m, M_ME_NA_1, &io);
    CHECK_INT(io.ival, 32767);
    CHECK_INT(io.q, IEC104_QDS_OV);
    iec104_map s = {.type = M_ME_NB_1, .push = PUSH_ALWAYS, .scaling = 1};
    push(&s, -40000, DPQ_NOT_TOPICAL);
    iec104_map_fill(&s, M_ME_TE_1, &io);
    CHECK_INT(io.ival, -32768);
    CHECK_INT(io.q, IEC104_QDS_OV | IEC104_QDS_NT);
    CHECK_INT(io.t.year, 26);
    CHECK_INT(io.t.ms, 45123);
    iec104_map it = {.type = M_IT_NA_1, .push = PUSH_ALWAYS, .scaling = 1000};
    push(&it, 54.321, DPQ_INVALID);
    iec104_map_fill(&it, M_IT_NA_1, &io);
    CHECK_INT(io.ival, 54321);
    CHECK_INT(io.q, IEC104_BCR_IV);
    iec104_map dpt = {.type = M_DP_NA_1, .push = PUSH_ALWAYS, .scaling = 1};
    dp b = {.id = "b", .value = {.type = DP_BOOL, .b = true}};
    iec104_map_update(&dpt, &b);
    iec104_map_fill(&dpt, M_DP_NA_1, &io);
    CHECK_INT(io.ival, 2);
    b.value.b = false;
    iec104_map_update(&dpt, &b);
    iec104_map_fill(&dpt, M_DP_NA_1, &io);
    CHECK_INT(io.ival, 1);
    /* numeric points: rounded, clamped to 0..3, never OV (docs/iec104.md) */
    static const struct { double v; int dpi; } dpi_table[] = {
        {0, 0}, {0.4, 0}, {0.6, 1}, {1, 1}, {1.6, 2}, {2, 2}, {3, 3}, {7, 3}, {-1, 0}, {2.5, 2}, {0.5, 0}};  /* halves to even */
    for (size_t k = 0; k < sizeof dpi_table / sizeof dpi_table[0]; k++) {
        iec104_map dn = {.type = M_DP_NA_1, .push = PUSH_ALWAYS, .scaling = 1};
        push(&dn, dpi_table[k].v, 0);
        iec104_map_fill(&dn, M_DP_NA_1, &io);
        CHECK_MSG(io.ival == dpi_table[k].dpi, "%g -> %lld", dpi_table[k].v, (long long)io.ival);
        CHECK_INT(io.q, 0);
    }
    /* never published: IV|NT, value 0 */
    iec104_map never = {.type = M_ME_NC_1, .scaling = 1};
    iec104_map_fill(&never, M_ME_NC_1, &io);
    CHECK_INT(io.q, IEC104_QDS_IV | IEC104_QDS_NT);
    CHECK_NEAR(io.fval, 0, 0);
    /* a string point cannot be a number: invalid */
    iec104_map str = {.type = M_ME_NC_1, .push = PUSH_ALWAYS, .scaling = 1};
    dp t = {.id = "s", .value = {.type = DP_STRING, .s = "2026-01-01"}};
    iec104_map_update(&str, &t);
    iec104_map_fill(&str, M_ME_NC_1, &io);
    CHECK_INT(io.q, IEC104_QDS_IV);
}

static void check_config_error(const char *yaml, const char *want) {
    cfg_err err;
    cfg_node *root = cfg_load_string(yaml, "gw.yaml", &err);
    CHECK(root != NULL);
    iec104_config *c = iec104_config_parse(root, &err);
    CHECK(c == NULL);
    CHECK_MSG(strstr(err.msg, want) != NULL, "%s", err.msg);
    iec104_config_free(c);
    cfg_free(root);
}

static void test_config(void) {
    cfg_err err;
    cfg_node *root = cfg_load_string(
        "port: 0\nmapping:\n  - group: 2\n    points:\n"
        "      - {type: M_ME_NC_1, point: a/1, ioa: 7, push: deadband, deadband: \"5%\"}\n",
        "gw.yaml", &err);
    iec104_config *c = iec104_config_parse(root, &err);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->k, 12);
        CHECK_INT(c->w, 8);
        CHECK_INT(c->t1_ns, 15 * NS_PER_S);
        CHECK_INT(c->ca, 1);
        CHECK(c->sync_initial_poll);
        CHECK_INT(c->n_map, 1);
        CHECK(c->map[0].relative);
        CHECK_NEAR(c->map[0].deadband, 5, 0);
        CHECK_INT(c->map[0].group, 2);
    }
    iec104_config_free(c);
    cfg_free(root);
    check_config_error("t1: 5s\nt2: 5s\n", "gw.yaml:2:5: t2 must be lower than t1");
    check_config_error("mapping:\n  - points:\n      - {type: M_XX_1, point: a, ioa: 1}\n",
                       "gw.yaml:3:16: type M_XX_1");
    check_config_error("mapping:\n  - points:\n      - {type: M_SP_NA_1, point: a, ioa: 1}\n"
                       "      - {type: M_SP_NA_1, point: b, ioa: 1}\n",
                       "gw.yaml:4:42: IOA 1 is already mapped at line 3");
    check_config_error("allowed_ips: [\"10.0.*\"]\n", "gw.yaml:1:15: IP pattern 10.0.*");
    check_config_error("mapping:\n  - points:\n      - {type: M_ME_NC_1, point: a, ioa: 1, push: deadband}\n",
                       "push: deadband needs a deadband");
}

/* Duplicate IOAs are found across groups and among thousands of rows (the
 * check keeps a set of IOAs, grown per group). */
static void test_duplicate_ioa_across_groups(void) {
    enum { ROWS = 3000 };
    size_t cap = 64 + 2 * ROWS * 64;
    char *yaml = malloc(cap);
    size_t n = (size_t)snprintf(yaml, cap, "mapping:\n");
    for (int g = 0; g < 2; g++) {
        n += (size_t)snprintf(yaml + n, cap - n, "  - points:\n");
        for (int i = 0; i < ROWS; i++)
            n += (size_t)snprintf(yaml + n, cap - n,
                                  "      - {type: M_SP_NA_1, point: p%d, ioa: %d}\n",
                                  g * ROWS + i, 1 + g * ROWS + i);
    }
    cfg_err err;
    cfg_node *root = cfg_load_string(yaml, "gw.yaml", &err);
    iec104_config *c = root ? iec104_config_parse(root, &err) : NULL;
    CHECK(c != NULL);
    if (c)
        CHECK_INT(c->n_map, 2 * ROWS);
    iec104_config_free(c);
    cfg_free(root);
    /* a third group repeats IOA 1500, the first group's row 1500 (line 3 + 1499) */
    snprintf(yaml + n, cap - n, "  - points:\n      - {type: M_SP_NA_1, point: d, ioa: 1500}\n");
    char want[80];
    snprintf(want, sizeof want, "gw.yaml:%d:42: IOA 1500 is already mapped at line %d",
             2 * ROWS + 5, 1502);
    check_config_error(yaml, want);
    free(yaml);
}

int main(void) {
    test_absolute_deadband();
    test_duplicate_ioa_across_groups();
    test_relative_and_modes();
    test_conversions();
    test_config();
    return test_summary("test_iec104_map");
}
