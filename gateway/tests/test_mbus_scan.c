/* mbus_scan: the wildcard tree search against a modelled set of meters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mbus/mbus_secondary.h"
#include "south/mbus/scan.h"
#include "tests/test.h"

typedef struct model {
    const char *const *addr;
    int n;
    char found[64][MBUS_SECONDARY_TEXT];
    int n_found;
    unsigned probes;
} model;

/* An address or mask written as text (8 id digits or 16 hex characters). */
static mbus_secondary sa(const char *text) {
    mbus_secondary out;
    if (!mbus_secondary_parse_mask(text, &out)) {
        fprintf(stderr, "malformed address in the test: %s\n", text);
        exit(2);
    }
    return out;
}

static int matching(const model *m, const mbus_secondary *mask, int *which) {
    int n = 0;
    for (int i = 0; i < m->n; i++) {
        mbus_secondary addr = sa(m->addr[i]);
        if (mbus_secondary_match(mask, &addr)) {
            *which = i;
            n++;
        }
    }
    return n;
}

/* Run a whole search (below base, NULL = everything); a single records the
 * meter it isolated. */
static void run(model *m, const char *base, bool reverse, mbus_scan *s) {
    mbus_secondary mask, base_mask = base ? sa(base) : mbus_secondary_any();
    mbus_scan_init(s, base ? &base_mask : NULL, reverse);
    m->n_found = 0;
    while (mbus_scan_next(s, &mask)) {
        int which = -1;
        int n = matching(m, &mask, &which);
        if (n == 1)
            snprintf(m->found[m->n_found++], sizeof m->found[0], "%s", m->addr[which]);
        mbus_scan_result(s, n == 0 ? MBUS_PROBE_NONE : n == 1 ? MBUS_PROBE_SINGLE
                                                            : MBUS_PROBE_COLLISION);
    }
}

static bool was_found(const model *m, const char *addr) {
    for (int i = 0; i < m->n_found; i++)
        if (strcmp(m->found[i], addr) == 0)
            return true;
    return false;
}

static void test_mask_parse(void) {
    char out[MBUS_SECONDARY_TEXT];
    mbus_secondary mask;
    CHECK(mbus_secondary_parse_mask("12FFFFFF", &mask));
    mbus_secondary_format(&mask, out);
    CHECK_STR(out, "12FFFFFFFFFFFFFF");
    CHECK(mbus_secondary_parse_mask("1234567804770e04", &mask));
    mbus_secondary_format(&mask, out);
    CHECK_STR(out, "1234567804770E04");
    CHECK(!mbus_secondary_parse_mask("1234A678", &mask)); /* id digits are BCD or F */
    CHECK(!mbus_secondary_parse_mask("123", &mask));
    CHECK(!mbus_secondary_parse_mask("12345678ZZZZ0000", &mask));
    mask = sa("12345678FFFFFFFF");
    CHECK(mbus_secondary_id_complete(&mask));
    mask = sa("1234567FFFFFFFFF");
    CHECK(!mbus_secondary_id_complete(&mask));
    mbus_secondary addr = sa("1234567804770E04");
    mask = sa("12F4FFFF0477FFFF");
    CHECK(mbus_secondary_match(&mask, &addr));
    mask = sa("12F5FFFFFFFFFFFF");
    CHECK(!mbus_secondary_match(&mask, &addr));
}

static void test_empty_and_one(void) {
    static const char *const one[] = {"1234567804770E04"};
    model m = {one, 0, {{0}}, 0, 0};
    mbus_scan s;
    run(&m, NULL, false, &s);
    CHECK_INT(s.probes, 1); /* the whole mask is silent: done */
    CHECK_INT(m.n_found, 0);
    m.n = 1;
    run(&m, NULL, false, &s);
    CHECK_INT(s.probes, 1);
    CHECK_INT(m.n_found, 1);
    CHECK(was_found(&m, one[0]));
}

/* Two meters sharing the 8 id digits: only the manufacturer (hex) tells them apart. */
static void test_same_id(void) {
    static const char *const addr[] = {"1234567804770E04", "1234567824C40E04", "99000001A5110107"};
    model m = {addr, 3, {{0}}, 0, 0};
    mbus_scan s;
    run(&m, NULL, false, &s);
    CHECK_INT(m.n_found, 3);
    for (int i = 0; i < 3; i++)
        CHECK_MSG(was_found(&m, addr[i]), "%s not found", addr[i]);
    CHECK_INT(s.unresolved, 0);
    run(&m, NULL, true, &s); /* reverse finds the same, the other way round */
    CHECK_INT(m.n_found, 3);
    CHECK(strcmp(m.found[0], "99000001A5110107") == 0);
}

/* A base mask restricts the search. */
static void test_base_mask(void) {
    static const char *const addr[] = {"3300000104770E04", "3300000204770E04", "4400000104770E04"};
    model m = {addr, 3, {{0}}, 0, 0};
    mbus_scan s;
    run(&m, "33FFFFFF", false, &s);
    CHECK_INT(m.n_found, 2);
    CHECK(!was_found(&m, addr[2]));
}

/* Consecutive ids 0..9 below a constant prefix: the prefix digits 1-7 each cost
 * ten probes minus the inferred last sibling when the collision sits at 9. */
static void test_inference(void) {
    static const char *const addr[] = {"9999999004770E04", "9999999104770E04"};
    model m = {addr, 2, {{0}}, 0, 0};
    mbus_scan s;
    run(&m, NULL, false, &s);
    CHECK_INT(m.n_found, 2);
    /* positions 0..6: digits 0-8 silent, 9 inferred; position 7: 10 probes; + root */
    CHECK_INT(s.inferred, 7);
    CHECK_INT(s.probes, 1 + 7 * 9 + 10);
}

/* Same complete address twice: reported as unresolved, never loops. */
static void test_duplicate(void) {
    static const char *const addr[] = {"1234567804770E04", "1234567804770E04"};
    model m = {addr, 2, {{0}}, 0, 0};
    mbus_scan s;
    run(&m, "1234567804770E0F", false, &s);
    CHECK_INT(m.n_found, 0);
    CHECK(s.unresolved >= 1);
}

/* Rule 5: after two crowded siblings the next one is descended into without a
 * probe; an empty one then costs its ten children and nothing is inferred in
 * it (nothing proves it holds a meter): every meter found, none twice. */
static void test_dense_siblings(void) {
    static char buf[31][MBUS_SECONDARY_TEXT];
    static const char *addr[31];
    static const char prefix[] = "013";
    int n = 0;
    for (int p = 0; p < 3; p++)
        for (int k = 0; k < 10; k++, n++) {
            snprintf(buf[n], sizeof buf[n], "%c%d00000004770E04", prefix[p], k);
            addr[n] = buf[n];
        }
    snprintf(buf[n], sizeof buf[n], "9100000004770E04");
    addr[n] = buf[n];
    n++;
    model m = {addr, n, {{0}}, 0, 0};
    mbus_scan s;
    run(&m, NULL, false, &s);
    CHECK_INT(m.n_found, 31);
    for (int i = 0; i < n; i++)
        CHECK(was_found(&m, addr[i]));
    CHECK_INT(s.skipped, 1); /* prefix 2, after 0 and 1 with ten meters each */
    CHECK_INT(s.inferred, 0);
    /* root; prefixes 0, 1, 3: probe + 10 children; prefix 2: 10 children;
     * prefixes 4-9 probed */
    CHECK_INT(s.probes, 1 + 3 * 11 + 10 + 6);
}

int main(void) {
    test_mask_parse();
    test_empty_and_one();
    test_same_id();
    test_base_mask();
    test_inference();
    test_duplicate();
    test_dense_siblings();
    return test_summary("mbus_scan");
}
