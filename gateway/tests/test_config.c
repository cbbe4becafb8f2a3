/* Unit tests of the configuration tree and its typed getters. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "tests/test.h"

static const char *const sample =
    "gateway:\n"
    "  name: gw-demo\n"
    "  debug: yes\n"
    "mbus:\n"
    "  - name: bus1\n"
    "    baud: 2400\n"
    "    interval: 15m\n"
    "    address: 0x1F\n"
    "    ratio: 0.25\n"
    "    meters:\n"
    "      - {name: heat1, primary: 5}\n"
    "      - name: water7\n"
    "        secondary: \"12345678\"\n";

static void test_tree(void) {
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_string(sample, "gw.yaml", &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    if (!root)
        return;
    CHECK_INT(root->kind, CFG_MAP);
    CHECK_INT(root->n, 2);
    const cfg_node *gw = cfg_get(root, "gateway");
    CHECK(gw && gw->kind == CFG_MAP);
    CHECK_INT(gw->line, 2);
    CHECK_INT(gw->col, 3);
    const char *name = NULL;
    CHECK(cfg_str(gw, "name", "gwd", &name, &err));
    CHECK_STR(name, "gw-demo");
    CHECK(cfg_str(gw, "absent", "gwd", &name, &err));
    CHECK_STR(name, "gwd");
    bool debug = false;
    CHECK(cfg_bool(gw, "debug", false, &debug, &err) && debug);

    const cfg_node *buses = cfg_require(root, "mbus", CFG_SEQ, &err);
    CHECK(buses && buses->n == 1);
    const cfg_node *bus = buses->items[0];
    CHECK_STR(bus->file, "gw.yaml");
    CHECK_INT(bus->line, 5);
    CHECK_INT(bus->col, 5);
    long long baud = 0, address = 0;
    CHECK(cfg_int(bus, "baud", 0, 300, 38400, &baud, &err));
    CHECK_INT(baud, 2400);
    CHECK(cfg_int(bus, "address", 0, 0, 250, &address, &err));
    CHECK_INT(address, 31);
    int64_t interval = 0;
    CHECK(cfg_duration_ns(bus, "interval", 0, &interval, &err));
    CHECK_INT(interval, 15LL * 60 * 1000000000LL);
    double ratio = 0;
    CHECK(cfg_double(bus, "ratio", 1.0, &ratio, &err));
    CHECK_NEAR(ratio, 0.25, 0);

    const cfg_node *meters = cfg_get(bus, "meters");
    CHECK(meters && meters->kind == CFG_SEQ && meters->n == 2);
    const cfg_node *heat = meters->items[0];
    CHECK_INT(heat->kind, CFG_MAP);
    CHECK_INT(heat->line, 11);
    CHECK_INT(heat->col, 9);
    long long primary = 0;
    CHECK(cfg_int(heat, "primary", -1, 0, 250, &primary, &err));
    CHECK_INT(primary, 5);
    const cfg_node *sec = cfg_get(meters->items[1], "secondary");
    CHECK(sec && sec->quoted);
    CHECK_STR(sec->scalar, "12345678");
    CHECK(!cfg_get(meters->items[1], "name")->quoted);
    CHECK_INT(meters->items[1]->key_nodes[1]->line, 13);
    CHECK_INT(meters->items[1]->key_nodes[1]->col, 9);

    static const char *const bus_keys[] = {"name", "baud", "interval", "address", "ratio",
                                           "meters", NULL};
    CHECK(cfg_only_keys(bus, bus_keys, &err));
    cfg_free(root);
}

/* Load text that must fail; the error message must equal want. */
static void expect_load_error(const char *text, const char *want) {
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_string(text, "bad.yaml", &err);
    CHECK(root == NULL);
    CHECK_STR(err.msg, want);
    cfg_free(root);
}

static void test_load_errors(void) {
    expect_load_error("a: 1\nb: [1, 2\n", "bad.yaml:3:1: did not find expected ',' or ']'");
    expect_load_error("a:\n  b: 1\n c: 2\n",
                      "bad.yaml:3:2: did not find expected key");
    expect_load_error("a: 1\nb:\n  x: 1\n  x: 2\n",
                      "bad.yaml:4:3: duplicate key 'x' (first at line 3, column 3)");
    expect_load_error("a: &anchor 1\nb: *anchor\n", "bad.yaml:2:4: aliases are not supported");
    expect_load_error("? [a, b]\n: 1\n", "bad.yaml:1:3: map keys must be scalars");
    expect_load_error("a: 1\n---\nb: 2\n",
                      "bad.yaml:2:1: only one YAML document per file is supported");
    expect_load_error("a: \"unterminated\n",
                      "bad.yaml:2:1: found unexpected end of stream");
    /* Nesting beyond any sane configuration is refused, not a stack overflow. */
    char deep[2000];
    memset(deep, '[', 1000);
    deep[1000] = '\0';
    cfg_err err = {{0}};
    CHECK(cfg_load_string(deep, "deep.yaml", &err) == NULL);
    CHECK_MSG(strstr(err.msg, "nesting deeper than") != NULL, "%s", err.msg);
}

static void test_empty_documents(void) {
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_string("", "empty.yaml", &err);
    CHECK(root && root->kind == CFG_MAP && root->n == 0);
    cfg_free(root);
    root = cfg_load_string("# only a comment\n", "c.yaml", &err);
    CHECK(root && root->kind == CFG_MAP && root->n == 0);
    cfg_free(root);
    root = cfg_load_string("plain\n", "s.yaml", &err);
    CHECK(root && root->kind == CFG_SCALAR);
    if (root)
        CHECK_STR(root->scalar, "plain");
    cfg_free(root);
}

static const char *const typed =
    "port: 70000\n"       /* line 1 */
    "baud: fast\n"        /* line 2 */
    "big: 99999999999999999999\n"
    "on: maybe\n"
    "ratio: 1.5x\n"
    "interval: 5 parsecs\n"
    "list: [1, 2]\n"
    "neg: -0x10\n"
    "foo: 1\n";

static void test_getter_errors(void) {
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_string(typed, "t.yaml", &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    if (!root)
        return;
    long long v = 0;
    CHECK(!cfg_int(root, "port", 0, 1, 65535, &v, &err));
    CHECK_STR(err.msg, "t.yaml:1:7: 'port': 70000 is out of range (allowed: 1..65535)");
    CHECK(!cfg_int(root, "baud", 0, 300, 38400, &v, &err));
    CHECK_STR(err.msg, "t.yaml:2:7: 'baud': expected an integer, got 'fast'");
    CHECK(!cfg_int(root, "big", 0, 0, 100, &v, &err));
    CHECK_STR(err.msg,
              "t.yaml:3:6: 'big': 99999999999999999999 is out of range (allowed: 0..100)");
    CHECK(cfg_int(root, "neg", 0, -100, 100, &v, &err));
    CHECK_INT(v, -16);
    bool b;
    CHECK(!cfg_bool(root, "on", false, &b, &err));
    CHECK_STR(err.msg, "t.yaml:4:5: 'on': expected true/false (or yes/no, on/off), got 'maybe'");
    double d;
    CHECK(!cfg_double(root, "ratio", 0, &d, &err));
    CHECK_STR(err.msg, "t.yaml:5:8: 'ratio': expected a number, got '1.5x'");
    int64_t ns;
    CHECK(!cfg_duration_ns(root, "interval", 0, &ns, &err));
    CHECK_STR(err.msg, "t.yaml:6:11: 'interval': expected a duration like 100us, 500ms, 2s, "
                       "1.5s, 15m, 1h, 1d, got '5 parsecs'");
    const char *s;
    CHECK(!cfg_str(root, "list", NULL, &s, &err));
    CHECK_STR(err.msg, "t.yaml:7:7: 'list' must be a string, not a sequence");
    CHECK(!cfg_int(root, "list", 0, 0, 1, &v, &err));
    CHECK_STR(err.msg, "t.yaml:7:7: 'list': expected an integer, got a sequence");
    CHECK(cfg_require(root, "missing", CFG_MAP, &err) == NULL);
    CHECK_STR(err.msg, "t.yaml:1:1: missing required key 'missing'");
    CHECK(cfg_require(root, "list", CFG_MAP, &err) == NULL);
    CHECK_STR(err.msg, "t.yaml:7:7: 'list' must be a map, not a sequence");

    static const char *const allowed[] = {"port", "baud", "big", "on", "ratio", "interval",
                                          "list", "neg", NULL};
    CHECK(!cfg_only_keys(root, allowed, &err));
    CHECK_STR(err.msg, "t.yaml:9:1: unknown key 'foo' (expected one of: port, baud, big, on, "
                       "ratio, interval, list, neg)");
    /* Sequence items through the node getters. */
    const cfg_node *list = cfg_get(root, "list");
    CHECK(cfg_node_int(list->items[1], 0, 10, &v, &err));
    CHECK_INT(v, 2);
    CHECK(!cfg_node_int(list->items[1], 5, 10, &v, &err));
    CHECK_STR(err.msg, "t.yaml:7:11: 2 is out of range (allowed: 5..10)");
    CHECK(!cfg_fail(&err, list, "custom %d", 42));
    CHECK_STR(err.msg, "t.yaml:7:7: custom 42");
    cfg_free(root);
}

static void test_durations(void) {
    static const struct {
        const char *text;
        int64_t ns;
    } good[] = {
        {"500ms", 500000000LL},     {"2s", 2000000000LL},        {"1.5s", 1500000000LL},
        {"15m", 900000000000LL},    {"1h", 3600000000000LL},     {"1d", 86400000000000LL},
        {"100us", 100000LL},        {"3", 3000000000LL},         {"0.25", 250000000LL},
        {"0", 0},                   {"2.5ms", 2500000LL},        {"10 s", 10000000000LL},
        {"0.001us", 1},             {"106751d", 106751LL * 86400 * 1000000000LL},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ns = -1;
        CHECK_MSG(cfg_parse_duration_ns(good[i].text, &ns), "%s", good[i].text);
        CHECK_MSG(ns == good[i].ns, "%s: %lld", good[i].text, (long long)ns);
    }
    static const char *const bad[] = {"",    "ms",   "-1s",  "1.s",       "1x",  "auto",
                                      "1 2s", ".5s", "1e3s", "106752d", "1sec", "s1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns = -1;
        CHECK_MSG(!cfg_parse_duration_ns(bad[i], &ns), "'%s' accepted", bad[i]);
    }
    bool b = false;
    cfg_err err;
    cfg_node *root = cfg_load_string("a: [On, off, TRUE, no]", "b.yaml", &err);
    const cfg_node *a = cfg_get(root, "a");
    CHECK(cfg_node_bool(a->items[0], &b, &err) && b);
    CHECK(cfg_node_bool(a->items[1], &b, &err) && !b);
    CHECK(cfg_node_bool(a->items[2], &b, &err) && b);
    CHECK(cfg_node_bool(a->items[3], &b, &err) && !b);
    cfg_free(root);
}

static void test_json_file(void) {
    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"points\":[{\"id\":\"heat1/0\",\"value\":1.2345678901234567e+300,"
          "\"text\":\"a\\\"b\\\\c\\n\\u00e9\\/\",\"ok\":true,\"none\":null},\n"
          "\t{\"id\":\"heat1/1\",\"value\":-17}],\"meters\":[]}\n",
          f);
    fclose(f);
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_file(path, &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    if (root) {
        const cfg_node *points = cfg_get(root, "points");
        CHECK(points && points->kind == CFG_SEQ && points->n == 2);
        const cfg_node *p0 = points->items[0];
        double v = 0;
        CHECK(cfg_double(p0, "value", 0, &v, &err));
        CHECK(v == 1.2345678901234567e+300);
        CHECK_STR(cfg_get(p0, "text")->scalar, "a\"b\\c\n\xc3\xa9/");
        CHECK(cfg_get(p0, "text")->quoted);
        CHECK(!cfg_get(p0, "value")->quoted);
        CHECK_STR(cfg_get(p0, "none")->scalar, "null");
        long long i = 0;
        CHECK(cfg_int(points->items[1], "value", 0, -100, 100, &i, &err));
        CHECK_INT(i, -17);
        CHECK_INT(points->items[1]->line, 2);
        const cfg_node *meters = cfg_get(root, "meters");
        CHECK(meters && meters->kind == CFG_SEQ && meters->n == 0);
        CHECK_STR(root->file, path);
    }
    cfg_free(root);
    unlink(path);
    CHECK(cfg_load_file(path, &err) == NULL);
    char want[128];
    snprintf(want, sizeof want, "%s:1:1: cannot read: No such file or directory", path);
    CHECK_STR(err.msg, want);
}

int main(void) {
    test_tree();
    test_load_errors();
    test_empty_documents();
    test_getter_errors();
    test_durations();
    test_json_file();
    return test_summary("test_config");
}
