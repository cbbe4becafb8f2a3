/* The receive path of the radio driver (wmbus_radio_receive) with telegrams
 * built like a meter's: a spoofed telegram (the meter's link header, random
 * ciphertext) is refused and counted in link/rejected, without moving the
 * meter's heard, missed, RSSI or status; a meter with a really wrong key
 * still shows wrong_key, and so does a re-keyed one once its own telegrams
 * stopped decoding for three intervals; listen-cache entries are events, never meters or
 * points in the datahub. The module's port does not exist: the driver
 * reports it missing and the telegrams are handed in directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "codec/wmbus/im871a.h"
#include "core/log.h"
#include "core/loop.h"
#include "codec/mbus/mbus_app.h"
#include "codec/wmbus/oms_crypto.h"
#include "tests/test.h"
#include "codec/wmbus/wmbus_build.h"
#include "south/wmbus/wmbus_config.h"
#include "south/wmbus/wmbus_radio.h"

static const uint8_t KEY[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t SPOOF_KEY[16] = {0xA5, 0x5A, 0x01};

enum { RSSI_METER = 150, RSSI_SPOOFER = 90 }; /* raw RSSI bytes of the module */

typedef struct seen {
    int rejected, rejected_with_bytes, listen, listen_with_level;
} seen;

static void count_events(const dh_update *u, void *arg) {
    seen *s = arg;
    if (u->kind != DH_EVENT)
        return;
    if (strcmp(u->event->kind, "rejected") == 0) {
        s->rejected++;
        s->rejected_with_bytes += u->event->bytes != NULL && u->event->len > 20;
    }
    if (strcmp(u->event->kind, "listen") == 0) {
        s->listen++;
        s->listen_with_level += strstr(u->event->text, " dBm") != NULL;
    }
}

/* A mode 5 telegram of meter id (BCD) with one volume record, encrypted with key. */
static size_t telegram_v(oms_crypto *c, uint32_t id, uint8_t version, const uint8_t *key, uint8_t access,
                         int64_t litres, uint8_t *out) {
    uint8_t rec[32];
    mbus_enc_record vol = {.vif = {0x13}, .n_vif = 1, .coding = MBUS_ENC_INT, .size = 4, .raw = litres};
    size_t n = mbus_encode_record(&vol, rec, sizeof rec);
    wmbus_build b = {.c = 0x44, .manufacturer = wmbus_manufacturer_code("KAM"), .id_bcd = id,
                     .version = version, .device_type = 7, .access_number = access, .mode = 5, .key = key};
    return wmbus_build_frame(c, &b, rec, n, out, WMBUS_FRAME_MAX);
}

static size_t telegram(oms_crypto *c, uint32_t id, const uint8_t *key, uint8_t access, int64_t litres,
                       uint8_t *out) {
    return telegram_v(c, id, 1, key, access, litres, out);
}

/* Hand a built frame (L first) to the driver as a WMBUSMSG_IND delivers it. */
static void receive(wmbus_radio *r, const uint8_t *frame, size_t len, uint8_t rssi) {
    wmbus_radio_receive(r, frame + 1, len - 1, true, rssi);
}

static cfg_node *root;

static wmbus_config *parse(const char *yaml) {
    cfg_err err;
    cfg_free(root);
    root = cfg_load_string(yaml, "test.yaml", &err);
    wmbus_config *cfg = root ? wmbus_config_parse(cfg_get(root, "wmbus"), &err) : NULL;
    if (!cfg)
        fprintf(stderr, "test_wmbus_receive: %s\n", err.msg);
    return cfg;
}

static double point(const datahub *hub, const char *id) {
    const dp *p = datahub_get(hub, id);
    if (!p)
        return -9999;
    return p->value.type == DP_INT ? (double)p->value.i : p->value.d;
}

static const char *status(const datahub *hub, const char *meter) {
    const dh_meter *m = datahub_get_meter(hub, meter);
    return m && m->status ? m->status : "(none)";
}

/* A driver on a datahub that counts the events, from a configuration text. */
typedef struct rig {
    wmbus_config *cfg;
    datahub *hub;
    seen ev;
    wmbus_radio *r;
} rig;

/* module: the radio module's keys after its device and link mode. */
static bool rig_start(rig *g, gw_loop *loop, const char *module) {
    memset(g, 0, sizeof *g);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "wmbus: [{device: /nonexistent/wmbus-test, link_mode: T1,\n  %s}]\n", module);
    g->cfg = parse(yaml);
    g->hub = datahub_new();
    datahub_subscribe(g->hub, count_events, &g->ev);
    g->r = g->cfg ? wmbus_radio_start(&g->cfg->modules[0], loop, g->hub) : NULL;
    CHECK(g->r != NULL);
    if (!g->r) {
        datahub_free(g->hub);
        wmbus_config_free(g->cfg);
    }
    return g->r != NULL;
}

/* Stops the driver (it publishes the link figures) before the checks that follow. */
static void rig_stop(rig *g) {
    wmbus_radio_stop(g->r);
    g->r = NULL;
}

static void rig_end(rig *g) {
    if (g->r)
        wmbus_radio_stop(g->r);
    datahub_free(g->hub);
    wmbus_config_free(g->cfg);
}

static void test_spoofed_telegrams(oms_crypto *c, gw_loop *loop) {
    rig g;
    if (!rig_start(&g, loop,
                   "name: r, cycle: 1h,\n"
                   "  meters: [{name: m, id: \"77000002\", key: 000102030405060708090A0B0C0D0E0F},\n"
                   "           {name: w, id: \"77000009\", key: 000102030405060708090A0B0C0D0E0F}]"))
        return;
    wmbus_radio *r = g.r;
    datahub *hub = g.hub;
    uint8_t f[WMBUS_FRAME_MAX];
    /* before the meter's first good telegram a refused one shows: wrong_key */
    receive(r, f, telegram(c, 0x77000002, SPOOF_KEY, 7, 1, f), RSSI_SPOOFER);
    CHECK_STR(status(hub, "m"), "wrong_key");
    receive(r, f, telegram(c, 0x77000002, KEY, 10, 5000, f), RSSI_METER);
    CHECK_STR(status(hub, "m"), "ok");
    /* spoofed telegrams between good ones: an access number far ahead, another RSSI */
    receive(r, f, telegram(c, 0x77000002, SPOOF_KEY, 200, 2, f), RSSI_SPOOFER);
    CHECK_STR(status(hub, "m"), "ok");
    receive(r, f, telegram(c, 0x77000002, KEY, 11, 5005, f), RSSI_METER);
    CHECK_STR(status(hub, "m"), "ok");
    /* the last word is a spoofer's, claiming another version */
    receive(r, f, telegram_v(c, 0x77000002, 0x55, SPOOF_KEY, 90, 3, f), RSSI_SPOOFER);
    /* a meter whose key is really wrong never decodes: wrong_key stays */
    receive(r, f, telegram(c, 0x77000009, SPOOF_KEY, 1, 4, f), RSSI_METER);
    receive(r, f, telegram(c, 0x77000009, SPOOF_KEY, 2, 5, f), RSSI_METER);
    wmbus_radio_stats st;
    wmbus_radio_get_stats(r, &st);
    CHECK_INT(st.telegrams, 7);
    CHECK_INT(st.accepted, 2);
    CHECK_INT(st.rejected, 5);
    rig_stop(&g);
    CHECK_NEAR(point(hub, "m/0"), 5.005, 1e-9);
    CHECK_NEAR(point(hub, "m/link/heard"), 2, 0);
    CHECK_NEAR(point(hub, "m/link/missed"), 0, 0);
    CHECK_NEAR(point(hub, "m/link/expected"), 2, 0);
    CHECK_NEAR(point(hub, "m/link/rejected"), 3, 0);
    CHECK_NEAR(point(hub, "m/link/rssi"), im_rssi_dbm(RSSI_METER), 1e-9);
    CHECK_NEAR(point(hub, "m/link/rssi_mean"), im_rssi_dbm(RSSI_METER), 1e-9);
    CHECK_NEAR(point(hub, "m/security/wrong_key"), 3, 0);
    CHECK_STR(status(hub, "m"), "ok");
    CHECK(datahub_get_meter(hub, "m")->last_read_ns > 0);
    CHECK_INT(datahub_get_meter(hub, "m")->version, 1); /* not the spoofer's 0x55 */
    CHECK_NEAR(point(hub, "w/link/heard"), 0, 0);
    CHECK_NEAR(point(hub, "w/link/rejected"), 2, 0);
    CHECK(datahub_get(hub, "w/link/rssi") == NULL);
    CHECK_STR(status(hub, "w"), "wrong_key");
    CHECK_INT(datahub_get_meter(hub, "w")->last_read_ns, 0);
    /* every refused telegram is still an event with its bytes */
    CHECK_INT(g.ev.rejected, 5);
    CHECK_INT(g.ev.rejected_with_bytes, 5);
    rig_end(&g);
}

/* Refused telegrams take no slot of the duplicate filter: after a flood of
 * spoofs the meter's own telegram, received again (a repeater), is still a
 * duplicate, not heard twice; a spoof sent twice is refused twice. */
static void test_spoofs_leave_the_duplicate_filter_alone(oms_crypto *c, gw_loop *loop) {
    rig g;
    if (!rig_start(&g, loop,
                   "name: r, cycle: 1h,\n"
                   "  meters: [{name: m, id: \"77000004\", key: 000102030405060708090A0B0C0D0E0F}]"))
        return;
    uint8_t own[WMBUS_FRAME_MAX], f[WMBUS_FRAME_MAX];
    size_t n = telegram(c, 0x77000004, KEY, 1, 700, own);
    receive(g.r, own, n, RSSI_METER);
    for (uint8_t k = 0; k < 6; k++) {
        size_t sn = telegram(c, 0x77000004, SPOOF_KEY, (uint8_t)(100 + k), 1, f);
        receive(g.r, f, sn, RSSI_SPOOFER);
        if (k == 5)
            receive(g.r, f, sn, RSSI_SPOOFER); /* the same spoof again */
    }
    receive(g.r, own, n, RSSI_METER); /* the meter's telegram through a repeater */
    wmbus_radio_stats st;
    wmbus_radio_get_stats(g.r, &st);
    CHECK_INT(st.accepted, 1);
    CHECK_INT(st.duplicates, 1);
    CHECK_INT(st.rejected, 7);
    rig_stop(&g);
    CHECK_NEAR(point(g.hub, "m/link/heard"), 1, 0);
    CHECK_NEAR(point(g.hub, "m/link/duplicates"), 1, 0);
    CHECK_NEAR(point(g.hub, "m/link/rejected"), 7, 0);
    rig_end(&g);
}

/* A meter replaced (or re-keyed) after decoding: its refused telegrams move the
 * status once no good one came for three of its intervals, not before. */
static void test_rekeyed_meter(oms_crypto *c, gw_loop *loop) {
    rig g;
    if (!rig_start(&g, loop,
                   "name: r, cycle: 1h,\n"
                   "  meters: [{name: m, id: \"77000003\", interval: 60s,\n"
                   "            key: 000102030405060708090A0B0C0D0E0F}]"))
        return;
    wmbus_radio *r = g.r;
    datahub *hub = g.hub;
    uint8_t f[WMBUS_FRAME_MAX];
    receive(r, f, telegram(c, 0x77000003, KEY, 1, 100, f), RSSI_METER);
    CHECK_STR(status(hub, "m"), "ok");
    clock_virtual_advance(clock_mono_ns() + 120 * NS_PER_S); /* two intervals: may be a spoofer */
    receive(r, f, telegram(c, 0x77000003, SPOOF_KEY, 2, 1, f), RSSI_METER);
    CHECK_STR(status(hub, "m"), "ok");
    clock_virtual_advance(clock_mono_ns() + 61 * NS_PER_S); /* past three: its own telegrams */
    receive(r, f, telegram(c, 0x77000003, SPOOF_KEY, 3, 1, f), RSSI_METER);
    CHECK_STR(status(hub, "m"), "wrong_key");
    receive(r, f, telegram(c, 0x77000003, KEY, 4, 101, f), RSSI_METER);
    CHECK_STR(status(hub, "m"), "ok");
    rig_end(&g);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#define LIST_HEADER                                                                          \
    "address;manufacturer;id;version;device_type;device_type_name;telegrams;rssi_dbm;"      \
    "rssi_mean_dbm;first_heard;last_heard\n"

/* Five unknown meters ten seconds apart into a cache of 2 (plus a re-sent
 * telegram and a meter heard twice): the listen events, the counters, and the
 * listen list file at the cycle end and at the stop; nothing of the cache in
 * the datahub. Virtual time: mono 600 s is 2026-01-01T00:10:00Z. */
static void test_listen_stays_out_of_the_datahub(oms_crypto *c, gw_loop *loop) {
    char dir[] = "/tmp/test_wmbus_receive_XXXXXX", path[64], module[256], tmp[80];
    if (!mkdtemp(dir)) {
        CHECK_MSG(false, "mkdtemp failed");
        return;
    }
    snprintf(path, sizeof path, "%s/listen.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(module, sizeof module,
             "name: l, cycle: 1m, listen: true, listen_cache: 2, listen_list: %s, meters: []", path);
    clock_virtual_advance(600 * NS_PER_S);
    rig g;
    if (!rig_start(&g, loop, module))
        return;
    wmbus_radio *r = g.r;
    datahub *hub = g.hub;
    uint8_t f[WMBUS_FRAME_MAX];
    size_t len = 0;
    for (uint32_t k = 1; k <= 5; k++) {
        if (k > 1)
            clock_virtual_advance(clock_mono_ns() + 10 * NS_PER_S);
        len = telegram(c, 0x99000000 + k, KEY, (uint8_t)k, 1, f);
        receive(r, f, len, RSSI_METER);
    }
    receive(r, f, len, RSSI_METER); /* 99000005 re-sent: a duplicate, not a telegram heard */
    clock_virtual_advance(clock_mono_ns() + 10 * NS_PER_S);
    receive(r, f, telegram(c, 0x99000004, KEY, 6, 1, f), RSSI_SPOOFER);
    CHECK(read_text(path) == NULL); /* not before the cycle ends */
    clock_virtual_advance(clock_mono_ns() + 10 * NS_PER_S); /* 660 s: the cycle ends */
    loop_run_once(loop, 0);
    /* -43.2 dBm is raw 150, -75.7 raw 90 */
    CHECK_STR(read_text(path) ? read_text(path) : "(none)",
              LIST_HEADER
              "KAM-99000004;KAM;99000004;1;7;water;2;-75.7;-59.5;"
              "2026-01-01T00:10:30.000Z;2026-01-01T00:10:50.000Z\n"
              "KAM-99000005;KAM;99000005;1;7;water;1;-43.2;-43.2;"
              "2026-01-01T00:10:40.000Z;2026-01-01T00:10:40.000Z\n");
    CHECK(read_text(tmp) == NULL);
    /* a sixth meter replaces the least recently heard (99000005); the stop writes the list */
    clock_virtual_advance(clock_mono_ns() + 10 * NS_PER_S);
    receive(r, f, telegram(c, 0x99000006, KEY, 1, 1, f), RSSI_SPOOFER);
    wmbus_radio_stats st;
    wmbus_radio_get_stats(r, &st);
    CHECK_INT(st.unknown, 8);
    rig_stop(&g);
    CHECK_STR(read_text(path) ? read_text(path) : "(none)",
              LIST_HEADER
              "KAM-99000006;KAM;99000006;1;7;water;1;-75.7;-75.7;"
              "2026-01-01T00:11:10.000Z;2026-01-01T00:11:10.000Z\n"
              "KAM-99000004;KAM;99000004;1;7;water;2;-75.7;-59.5;"
              "2026-01-01T00:10:30.000Z;2026-01-01T00:10:50.000Z\n");
    CHECK_INT(g.ev.listen, 6);
    CHECK_INT(g.ev.listen_with_level, 6);
    CHECK_NEAR(point(hub, "l/listen_size"), 2, 0);
    CHECK_NEAR(point(hub, "l/listen_evicted"), 4, 0);
    /* no meter and no point of the cache itself: the module's counters only */
    CHECK_INT(datahub_meter_count(hub), 0);
    for (size_t i = 0; i < datahub_count(hub); i++)
        CHECK_MSG(strncmp(datahub_at(hub, i)->id, "l/", 2) == 0, "point %s", datahub_at(hub, i)->id);
    rig_end(&g);
    remove(path);
    rmdir(dir);
}

/* listen_list without listen mode is a configuration error at the key. */
static void test_listen_list_needs_listen(void) {
    cfg_err err;
    cfg_node *n = cfg_load_string("wmbus: [{name: l, device: /dev/null,\n"
                                  "  listen_list: /tmp/x.csv}]\n", "test.yaml", &err);
    CHECK(n != NULL);
    wmbus_config *cfg = n ? wmbus_config_parse(cfg_get(n, "wmbus"), &err) : NULL;
    CHECK(cfg == NULL);
    CHECK_STR(err.msg, "test.yaml:2:16: listen_list needs listen: true");
    wmbus_config_free(cfg);
    cfg_free(n);
}

int main(void) {
    log_set_level(LOG_LVL_ERROR);
    oms_crypto *c = oms_crypto_new();
    clock_use_virtual(1767225600LL * NS_PER_S);
    clock_virtual_advance(NS_PER_S);
    gw_loop *loop = loop_new();
    test_spoofed_telegrams(c, loop);
    test_rekeyed_meter(c, loop);
    test_spoofs_leave_the_duplicate_filter_alone(c, loop);
    test_listen_stays_out_of_the_datahub(c, loop);
    test_listen_list_needs_listen();
    loop_free(loop);
    oms_crypto_free(c);
    cfg_free(root);
    return test_summary("test_wmbus_receive");
}
