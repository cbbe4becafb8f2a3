/* Unit tests of the datahub: copies, order, subscribers, quality, JSON dump. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/datahub.h"
#include "tests/test.h"

static dp make_point(const char *id, const char *meter, int record, double value) {
    dp p = {0};
    p.id = id;
    p.value.type = DP_DOUBLE;
    p.value.d = value;
    p.unit = "Wh";
    p.ts_ns = 1000;
    p.origin.meter = meter;
    p.origin.record = record;
    p.origin.quantity = "energy";
    p.origin.protocol = DP_PROTO_MBUS;
    p.origin.address = "DIF 04 VIF 03 storage 0 tariff 0 subunit 0";
    p.origin.function = "instantaneous";
    return p;
}

/* A subscriber that logs what it sees as text, e.g. "A:P heat1/0 q=0;". */
typedef struct seen {
    char text[2048];
} seen;

static void log_update(const dh_update *u, const char *tag, seen *s) {
    size_t n = strlen(s->text);
    char *out = s->text + n;
    size_t cap = sizeof s->text - n;
    switch (u->kind) {
    case DH_POINT:
        snprintf(out, cap, "%s:P %s q=%u v=%g;", tag, u->point->id, u->point->quality,
                 u->point->value.d);
        break;
    case DH_METER: snprintf(out, cap, "%s:M %s %s;", tag, u->meter->name, u->meter->status); break;
    case DH_EVENT: snprintf(out, cap, "%s:E %s %s;", tag, u->event->kind, u->event->text); break;
    case DH_CYCLE_END: snprintf(out, cap, "%s:C %s;", tag, u->source); break;
    default: snprintf(out, cap, "%s:? kind %d;", tag, (int)u->kind); break;
    }
}

static void sub_a(const dh_update *u, void *arg) {
    log_update(u, "A", arg);
}

static void sub_b(const dh_update *u, void *arg) {
    log_update(u, "B", arg);
}

static void test_copy_semantics(void) {
    datahub *hub = datahub_new();
    char id[16] = "heat1/0", meter[16] = "heat1", unit[8] = "Wh";
    dp p = make_point(id, meter, 0, 12.5);
    p.unit = unit;
    datahub_publish(hub, &p);
    /* The caller's strings change afterwards: the hub kept its own copy. */
    strcpy(id, "XXXXX/9");
    strcpy(meter, "XXXXX");
    strcpy(unit, "??");
    const dp *got = datahub_get(hub, "heat1/0");
    CHECK(got != NULL);
    if (!got)
        return;
    CHECK_STR(got->id, "heat1/0");
    CHECK_STR(got->origin.meter, "heat1");
    CHECK_STR(got->unit, "Wh");
    CHECK_STR(got->origin.address, "DIF 04 VIF 03 storage 0 tariff 0 subunit 0");
    CHECK_NEAR(got->value.d, 12.5, 0);
    CHECK(datahub_get(hub, "XXXXX/9") == NULL);

    /* Update keeps first-publish order and count. */
    dp q = make_point("water7/0", "water7", 0, 3);
    datahub_publish(hub, &q);
    dp p2 = make_point("heat1/0", "heat1", 0, 13.0);
    p2.value.type = DP_STRING;
    p2.value.s = "2026-11-22";
    datahub_publish(hub, &p2);
    CHECK_INT(datahub_count(hub), 2);
    CHECK_STR(datahub_at(hub, 0)->id, "heat1/0");
    CHECK_STR(datahub_at(hub, 1)->id, "water7/0");
    CHECK(datahub_at(hub, 2) == NULL);
    CHECK_INT(datahub_get(hub, "heat1/0")->value.type, DP_STRING);
    CHECK_STR(datahub_get(hub, "heat1/0")->value.s, "2026-11-22");

    /* Bytes are copied too. */
    uint8_t raw[3] = {0x68, 0x00, 0x16};
    dp b = make_point("heat1/1", "heat1", 1, 0);
    b.value.type = DP_BYTES;
    b.value.bytes = raw;
    b.value.len = sizeof raw;
    datahub_publish(hub, &b);
    raw[0] = 0;
    const dp *gb = datahub_get(hub, "heat1/1");
    CHECK(gb->value.len == 3 && gb->value.bytes[0] == 0x68 && gb->value.bytes[2] == 0x16);

    /* Meters. */
    dh_meter m = {.name = "heat1", .interface = "mbus", .primary_address = 5,
                  .serial = "11490378", .manufacturer = "ACW", .status = "ok"};
    datahub_meter(hub, &m);
    m.status = "not_read";
    datahub_meter(hub, &m);
    CHECK_INT(datahub_meter_count(hub), 1);
    CHECK_STR(datahub_get_meter(hub, "heat1")->status, "not_read");
    CHECK(datahub_get_meter(hub, "heat1")->secondary == NULL);
    CHECK(datahub_get_meter(hub, "nope") == NULL);
    CHECK_STR(datahub_meter_at(hub, 0)->serial, "11490378");
    datahub_free(hub);
}

/* Updates reuse the entry's string buffer when they fit: the strings stay right
 * when they shrink, grow, or come from the stored point itself. */
static void test_update_reuses_strings(void) {
    datahub *hub = datahub_new();
    dp p = make_point("m/0", "m", 0, 1);
    p.unit = "m3";
    datahub_publish(hub, &p);
    const dp *got = datahub_get(hub, "m/0");
    const char *unit_before = got->unit;
    p.value.d = 2;
    datahub_publish(hub, &p);
    CHECK(got->unit == unit_before); /* same strings: packed in place */
    CHECK_NEAR(got->value.d, 2, 0);
    CHECK_STR(got->unit, "m3");
    p.unit = "a much longer unit than before";
    datahub_publish(hub, &p);
    CHECK_STR(got->unit, "a much longer unit than before");
    CHECK_STR(got->origin.function, "instantaneous");
    p.unit = "h";
    p.origin.quantity = "on_time";
    datahub_publish(hub, &p);
    CHECK_STR(got->unit, "h");
    CHECK_STR(got->origin.quantity, "on_time");
    CHECK_STR(got->origin.meter, "m");
    dp again = *got; /* its strings lie in the hub's own buffer */
    again.quality = 3;
    again.value.type = DP_STRING;
    again.value.s = got->origin.function;
    datahub_publish(hub, &again);
    CHECK_INT(got->quality, 3);
    CHECK_STR(got->value.s, "instantaneous");
    CHECK_STR(got->unit, "h");
    CHECK_STR(got->origin.address, "DIF 04 VIF 03 storage 0 tariff 0 subunit 0");
    datahub_free(hub);
}

static void test_subscribers(void) {
    datahub *hub = datahub_new();
    seen s = {{0}};
    int ia = datahub_subscribe(hub, sub_a, &s);
    int ib = datahub_subscribe(hub, sub_b, &s);
    CHECK(ia >= 0 && ib >= 0 && ia != ib);
    dp p = make_point("heat1/0", "heat1", 0, 1);
    datahub_publish(hub, &p);
    dh_meter m = {.name = "heat1", .status = "ok"};
    datahub_meter(hub, &m);
    dh_event e = {.source = "mbus:bus1", .kind = "rejected", .text = "bad checksum"};
    datahub_event(hub, &e);
    datahub_cycle_end(hub, "mbus:bus1", 5);
    CHECK_STR(s.text, "A:P heat1/0 q=0 v=1;B:P heat1/0 q=0 v=1;A:M heat1 ok;B:M heat1 ok;"
                      "A:E rejected bad checksum;B:E rejected bad checksum;"
                      "A:C mbus:bus1;B:C mbus:bus1;");
    datahub_unsubscribe(hub, ia);
    s.text[0] = '\0';
    datahub_cycle_end(hub, "x", 6);
    CHECK_STR(s.text, "B:C x;");
    datahub_free(hub);
}

static void test_meter_quality(void) {
    datahub *hub = datahub_new();
    dp a = make_point("heat1/0", "heat1", 0, 1), w = make_point("water7/0", "water7", 0, 2),
       c = make_point("heat1/1", "heat1", 1, 3);
    datahub_publish(hub, &a);
    datahub_publish(hub, &w);
    datahub_publish(hub, &c);
    seen s = {{0}};
    datahub_subscribe(hub, sub_a, &s);
    datahub_set_meter_quality(hub, "heat1", DPQ_INVALID | DPQ_NOT_TOPICAL, 9000);
    CHECK_STR(s.text, "A:P heat1/0 q=3 v=1;A:P heat1/1 q=3 v=3;");
    const dp *got = datahub_get(hub, "heat1/1");
    CHECK_INT(got->quality, DPQ_INVALID | DPQ_NOT_TOPICAL);
    CHECK_INT(got->ts_ns, 9000);
    CHECK_STR(got->origin.meter, "heat1"); /* strings survive the republish */
    CHECK_STR(got->unit, "Wh");
    CHECK_INT(datahub_get(hub, "water7/0")->quality, 0);
    CHECK_INT(datahub_count(hub), 3);
    datahub_free(hub);
}

static void test_many_points(void) {
    datahub *hub = datahub_new();
    char id[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "m%d/%d", i / 10, i % 10);
        dp p = make_point(id, "m", i % 10, i);
        datahub_publish(hub, &p);
    }
    CHECK_INT(datahub_count(hub), 100000);
    int wrong = 0;
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "m%d/%d", i / 10, i % 10);
        const dp *p = datahub_get(hub, id);
        if (!p || p->value.d != i || datahub_at(hub, (size_t)i) != p)
            wrong++;
    }
    CHECK_INT(wrong, 0);
    CHECK(datahub_get(hub, "m10000/0") == NULL);
    datahub_free(hub);
}

static void test_dump_json(void) {
    datahub *hub = datahub_new();
    dp d = make_point("heat1/0", "heat1", 0, 0.1);
    dp i = make_point("heat1/1", "heat1", 1, 0);
    i.value.type = DP_INT;
    i.value.i = -9007199254740993LL;
    i.quality = DPQ_INVALID;
    i.origin.address = "DIF 84 00 VIF 03 storage 2 tariff 1 subunit 3";
    dp s = make_point("heat1/2", "heat1", 2, 0);
    s.origin.protocol = DP_PROTO_DLMS; /* no M-Bus fields: zero and null, then its address */
    s.origin.address = "1-0:1.8.0.255 class 3 attr 2";
    s.value.type = DP_STRING;
    s.value.s = "q\"b\\s\n\x01 \xc3\xa9 \xff end";
    dp b = make_point("heat1/3", "heat1", 3, 0);
    uint8_t raw[] = {0x0F, 0xA0};
    b.value.type = DP_BYTES;
    b.value.bytes = raw;
    b.value.len = 2;
    dp t = make_point("bus1/ok", NULL, -1, 0);
    t.value.type = DP_BOOL;
    t.value.b = true;
    datahub_publish(hub, &d);
    datahub_publish(hub, &i);
    datahub_publish(hub, &s);
    datahub_publish(hub, &b);
    datahub_publish(hub, &t);
    dh_meter m = {.name = "heat1", .interface = "mbus", .primary_address = 5,
                  .secondary = "11490378A5110407", .serial = "11490378", .manufacturer = "ACW",
                  .version = 17, .medium = 4, .medium_name = "heat", .status = "ok",
                  .last_read_ns = 1795309323456000000LL};
    datahub_meter(hub, &m);

    char path[] = "/tmp/test_datahub_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_INT(datahub_dump_json(hub, path), 0);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0); /* renamed away */

    cfg_err err = {{0}};
    cfg_node *root = cfg_load_file(path, &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    if (root) {
        const cfg_node *points = cfg_get(root, "points");
        CHECK(points && points->n == 5);
        const cfg_node *p0 = points->items[0];
        double v = 0;
        CHECK(cfg_double(p0, "value", 0, &v, &err));
        CHECK(v == 0.1); /* bit-exact round trip */
        CHECK_STR(cfg_get(p0, "id")->scalar, "heat1/0");
        CHECK_STR(cfg_get(p0, "meter")->scalar, "heat1");
        CHECK_STR(cfg_get(p0, "unit")->scalar, "Wh");
        CHECK_STR(cfg_get(p0, "function")->scalar, "instantaneous");
        CHECK_STR(cfg_get(p0, "vif")->scalar, "03");
        CHECK_STR(cfg_get(p0, "ts_ns")->scalar, "1000");
        const cfg_node *p1 = points->items[1];
        CHECK_STR(cfg_get(p1, "value")->scalar, "-9007199254740993");
        CHECK_STR(cfg_get(p1, "quality")->scalar, "1");
        CHECK_STR(cfg_get(p1, "storage")->scalar, "2");
        CHECK_STR(cfg_get(p1, "tariff")->scalar, "1");
        CHECK_STR(cfg_get(p1, "subunit")->scalar, "3");
        CHECK_STR(cfg_get(p1, "dif")->scalar, "84 00");
        CHECK(!cfg_get(p1, "protocol"));
        const cfg_node *p2 = points->items[2], *p2v = cfg_get(p2, "value");
        CHECK_STR(cfg_get(p2, "dif")->scalar, "null");
        CHECK(!cfg_get(p2, "dif")->quoted);
        CHECK_STR(cfg_get(p2, "storage")->scalar, "0");
        CHECK_STR(cfg_get(p2, "protocol")->scalar, "dlms");
        CHECK_STR(cfg_get(p2, "address")->scalar, "1-0:1.8.0.255 class 3 attr 2");
        CHECK(p2v->quoted);
        /* \xff is not UTF-8: written as the Latin-1 character U+00FF. */
        CHECK_STR(p2v->scalar, "q\"b\\s\n\x01 \xc3\xa9 \xc3\xbf end");
        CHECK_STR(cfg_get(points->items[3], "value")->scalar, "0FA0");
        CHECK_STR(cfg_get(points->items[4], "value")->scalar, "true");
        CHECK_STR(cfg_get(points->items[4], "record")->scalar, "-1");
        const cfg_node *meters = cfg_get(root, "meters");
        CHECK(meters && meters->n == 1);
        const cfg_node *m0 = meters->items[0];
        CHECK_STR(cfg_get(m0, "name")->scalar, "heat1");
        CHECK_STR(cfg_get(m0, "secondary")->scalar, "11490378A5110407");
        CHECK_STR(cfg_get(m0, "medium_name")->scalar, "heat");
        CHECK_STR(cfg_get(m0, "primary_address")->scalar, "5");
        CHECK_STR(cfg_get(m0, "version")->scalar, "17");
        CHECK_STR(cfg_get(m0, "last_read_ns")->scalar, "1795309323456000000");
        static const char *const point_keys[] = {
            "id",   "meter", "record",  "quantity", "unit",     "value", "quality",
            "ts_ns", "storage", "tariff", "subunit", "function", "dif",   "vif", NULL};
        CHECK_INT(p0->n, 14);
        CHECK_MSG(cfg_only_keys(p0, point_keys, &err), "%s", err.msg);
        CHECK_INT(m0->n, 11);
    }
    cfg_free(root);
    unlink(path);
    /* An unwritable path fails cleanly. */
    CHECK_INT(datahub_dump_json(hub, "/nonexistent-dir/x.json"), -1);
    datahub_free(hub);
}

int main(void) {
    test_copy_semantics();
    test_update_reuses_strings();
    test_subscribers();
    test_meter_quality();
    test_many_points();
    test_dump_json();
    return test_summary("test_datahub");
}
