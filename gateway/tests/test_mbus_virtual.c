/* Virtual M-Bus: points to records (M-Bus as read, DLMS by quantity), the
 * meter's RSP_UD pages, the session's link layer and selection (collisions,
 * FCB paging), the frame stream, and the directory's addresses. Round trips
 * decode with the codec's decoder what the virtual meter sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_link.h"
#include "codec/mbus/mbus_stream.h"
#include "core/datahub.h"
#include "core/dp_address.h"
#include "north/mbus_virtual/vmbus_config.h"
#include "north/mbus_virtual/vmbus_directory.h"
#include "north/mbus_virtual/vmbus_record.h"
#include "north/mbus_virtual/vmbus_session.h"
#include "north/mbus_virtual/vmbus_telegram.h"
#include "south/mbus/mbus_publish.h"
#include "tests/test.h"

static size_t hex(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    unsigned v;
    int used;
    while (n < cap && sscanf(s, " %2x%n", &v, &used) == 1)
        out[n++] = (uint8_t)v, s += used;
    return n;
}

static const char *const FRAMES[] = {
    /* ACW Itron BM +m, Kamstrup 382, ELS Falcon (libmbus corpus, fixtures/mbus/) */
    "68 3C 3C 68 08 08 72 78 03 49 11 77 04 0E 16 0A 00 00 00 0C 78 78 03 49 11 04 13 31 D4 "
    "00 00 42 6C 00 00 44 13 00 00 00 00 04 6D 0B 0B CD 13 02 27 00 00 09 FD 0E 02 09 FD 0F "
    "06 0F 00 01 75 13 D3 16",
    "68 46 46 68 08 78 72 20 91 83 14 2D 2C 01 02 04 00 00 00 04 06 00 00 00 00 04 22 09 00 00 "
    "00 04 2B 00 00 00 00 14 2B 00 00 00 00 84 50 06 00 00 00 00 84 60 06 00 00 00 00 0F 00 00 "
    "00 00 00 00 00 00 00 00 00 00 00 00 00 10 24 16",
    "68 4A 4A 68 08 01 72 45 23 11 70 93 15 0A 07 02 00 00 00 0C 13 67 45 23 01 04 6D 3A 0D E6 "
    "02 42 6C E1 01 4C 13 51 69 45 00 42 EC 7E 01 11 12 3B 39 17 42 6C 01 11 02 3B F9 17 0F 0E "
    "42 20 01 01 01 00 05 08 5E 01 20 3D 12 08 3D 12 08 00 C0 16",
};

static mbus_data decoded, again;

static bool decode_frame(const uint8_t *b, size_t n, mbus_data *out) {
    mbus_frame f;
    mbus_error err;
    return mbus_frame_parse_exact(b, n, &f, &err) == MBUS_OK &&
           mbus_app_decode(f.ci, f.data, f.data_len, out, &err) == MBUS_OK;
}

static bool same_record(const mbus_record *a, const mbus_record *b) {
    return strcmp(a->quantity, b->quantity) == 0 && strcmp(a->unit, b->unit) == 0 &&
           a->storage == b->storage && a->tariff == b->tariff && a->subunit == b->subunit &&
           a->function == b->function && a->kind == b->kind &&
           (a->kind == MBUS_VAL_NUMBER ? a->value == b->value : strcmp(a->text, b->text) == 0);
}

/* Every record the virtual meter offers decodes to what the real meter sent. */
static void test_round_trip(void) {
    for (size_t k = 0; k < sizeof FRAMES / sizeof *FRAMES; k++) {
        uint8_t b[300], out[300];
        size_t n = hex(FRAMES[k], b, sizeof b);
        CHECK(decode_frame(b, n, &decoded));
        datahub *hub = datahub_new();
        mbus_meter_cfg mc = {.name = "m", .primary = 5};
        mbus_publish_records(hub, "m", decoded.records, decoded.n_records, 1000);
        mbus_publish_meter_ok(hub, &mc, &decoded.hdr, 1000);
        mbus_secondary sa = {decoded.hdr.id_bcd, decoded.hdr.manufacturer, decoded.hdr.version,
                             decoded.hdr.medium};
        vmbus_telegram_in in = {.hub = hub, .meter = "m", .address = sa, .primary = 5, .access = 9,
                                .now_wall_ns = 2000};
        bool more = true;
        size_t len = vmbus_telegram_build(&in, 0, out, sizeof out, &more);
        CHECK(len > 0 && !more);
        CHECK(decode_frame(out, len, &again));
        CHECK_INT(again.hdr.id_bcd, decoded.hdr.id_bcd);
        CHECK_INT(again.hdr.manufacturer, decoded.hdr.manufacturer);
        CHECK_INT(again.hdr.medium, decoded.hdr.medium);
        CHECK_INT(again.hdr.access_number, 9);
        CHECK_INT(again.hdr.status, 0);
        /* each offered record matches the original one of the same DIF/VIF, in order */
        size_t j = 0, matched = 0;
        for (size_t i = 0; i < decoded.n_records && j < again.n_records; i++)
            if (same_record(&decoded.records[i], &again.records[j]))
                j++, matched++;
        CHECK_MSG(matched == again.n_records, "frame %zu: %zu of %zu records match", k, matched,
                  again.n_records);
        CHECK_INT(again.n_records, vmbus_telegram_records(hub, "m"));
        printf("frame %zu: %zu of %zu records offered\n", k, again.n_records, decoded.n_records);
        CHECK(again.n_records + 2 >= decoded.n_records); /* at most manufacturer data and one more */
        /* not read: the status byte says temporary error */
        mbus_publish_not_read(hub, "mbus:x", &mc, "test", 3000);
        len = vmbus_telegram_build(&in, 0, out, sizeof out, &more);
        CHECK(decode_frame(out, len, &again));
        CHECK_INT(again.hdr.status, VMBUS_STATUS_TEMPORARY_ERROR);
        datahub_free(hub);
    }
}

/* Records beyond one telegram go to a second page; old values raise the status bit. */
static void test_pages_and_expiration(void) {
    datahub *hub = datahub_new();
    char id[16], addr[DP_ADDRESS_MAX];
    for (int i = 0; i < 60; i++) { /* 60 records of 6 bytes: more than one telegram holds */
        dp_mbus_address a = {.dif_hex = "04", .vif_hex = "13", .storage = i};
        dp_mbus_address_format(&a, addr, sizeof addr);
        snprintf(id, sizeof id, "big/%d", i);
        dp p = {.id = id, .value = {.type = DP_DOUBLE, .d = i * 0.001}, .unit = "m3",
                .ts_ns = i < 59 ? 1000 : 10,
                .origin = {.meter = "big", .record = i, .protocol = DP_PROTO_MBUS, .address = addr,
                           .quantity = "volume", .raw_int = i, .scale_exp = -3, .has_raw = true}};
        datahub_publish(hub, &p);
    }
    vmbus_telegram_in in = {.hub = hub, .meter = "big", .address = {0x1, 0x0477, 1, 7},
                            .now_wall_ns = 1500, .expiration_ns = 1000};
    uint8_t out[300];
    bool more = false;
    size_t n0 = vmbus_telegram_build(&in, 0, out, sizeof out, &more);
    CHECK(n0 > 0 && more);
    CHECK(decode_frame(out, n0, &again));
    CHECK(again.more_follows);
    size_t first = again.n_records - 1; /* the 0x1F record */
    CHECK_INT(again.hdr.status, 0);
    size_t n1 = vmbus_telegram_build(&in, 1, out, sizeof out, &more);
    CHECK(n1 > 0 && !more);
    CHECK(decode_frame(out, n1, &again));
    CHECK_INT(first + again.n_records, 60);
    CHECK_INT(again.records[again.n_records - 1].storage, 59);
    CHECK_INT(again.hdr.status, VMBUS_STATUS_TEMPORARY_ERROR); /* record 59 is 1490 ns old */
    CHECK_INT(vmbus_telegram_build(&in, 2, out, sizeof out, &more), 0);
    datahub_free(hub);
}

/* A DLMS register (energy, scaler -1) and a Modbus float become integer records. */
static void test_other_protocols(void) {
    uint8_t rec[64], frame[300];
    dp p = {.id = "em/0", .value = {.type = DP_DOUBLE, .d = 1234567.8}, .unit = "Wh",
            .origin = {.meter = "em", .record = 0, .protocol = DP_PROTO_DLMS,
                       .address = "1-0:1.8.0.255 class 3 attr 2", .quantity = "energy",
                       .raw_int = 12345678, .scale_exp = -1, .has_raw = true}};
    size_t n = vmbus_record_encode(&p, rec, sizeof rec);
    CHECK_INT(n, 6);
    CHECK_INT(rec[0], 0x04);
    CHECK_INT(rec[1], 0x02); /* Wh x 10^-1 */
    size_t len = mbus_encode_long(frame, sizeof frame, 0x08, 0, 0x78, rec, n);
    CHECK(decode_frame(frame, len, &again));
    CHECK_NEAR(again.records[0].value, 1234567.8, 1e-9);
    dp q = {.id = "mb/1", .value = {.type = DP_DOUBLE, .d = 230.5}, .unit = "V",
            .origin = {.meter = "mb", .record = 1, .protocol = DP_PROTO_MODBUS,
                       .address = "holding 2 float32 ABCD", .quantity = "voltage"}};
    n = vmbus_record_encode(&q, rec, sizeof rec);
    len = mbus_encode_long(frame, sizeof frame, 0x08, 0, 0x78, rec, n);
    CHECK(n > 0 && decode_frame(frame, len, &again));
    CHECK_STR(again.records[0].quantity, "voltage");
    CHECK_NEAR(again.records[0].value, 230.5, 1e-9);
    dp r = q;
    r.origin.quantity = "reactive_energy"; /* no VIF: not offered */
    CHECK_INT(vmbus_record_encode(&r, rec, sizeof rec), 0);
}

/* ---- the session, against three fake meters -------------------------------------- */

typedef struct fake { int primary; mbus_secondary sa; } fake;
static fake meters[4]; /* the fourth has a primary address only */
static unsigned pages_asked[4];

static size_t f_count(void *ctx) { return 4; }
static bool f_address(void *ctx, size_t i, int *primary, mbus_secondary *sa, bool *has_sa) {
    *primary = meters[i].primary, *sa = meters[i].sa;
    *has_sa = i != 3;
    return true;
}
/* two pages each: data byte = meter index * 16 + page */
static size_t f_rsp(void *ctx, size_t i, uint8_t a, unsigned page, uint8_t *out, size_t cap,
                    bool *more) {
    uint8_t d = (uint8_t)(i * 16 + page);
    if (page > 1)
        return 0;
    pages_asked[i]++;
    *more = page == 0;
    return mbus_encode_long(out, cap, 0x08, a, 0x78, &d, 1);
}
static const vmbus_slaves fakes = {f_count, f_address, f_rsp, NULL};

static size_t ask(vmbus_session *s, const uint8_t *req, size_t n, uint8_t *out) {
    mbus_frame f;
    mbus_error err;
    if (mbus_frame_parse_exact(req, n, &f, &err) != MBUS_OK)
        return 0;
    return vmbus_session_handle(s, &fakes, &f, out, MBUS_FRAME_MAX);
}

static size_t select_mask(vmbus_session *s, const char *text, uint8_t *out) {
    mbus_secondary m;
    uint8_t data[8], req[32];
    mbus_secondary_parse(text, &m);
    mbus_secondary_encode(&m, data);
    size_t n = mbus_encode_long(req, sizeof req, 0x53, 0xFD, 0x52, data, 8);
    return ask(s, req, n, out);
}

static size_t short_frame(vmbus_session *s, uint8_t c, uint8_t a, uint8_t *out) {
    uint8_t req[5];
    return ask(s, req, mbus_encode_short(req, sizeof req, c, a), out);
}

static void test_session(void) {
    mbus_secondary_parse("12345678ACW10E07", &meters[0].sa);
    mbus_secondary_parse("12345679ACW10E07", &meters[1].sa);
    mbus_secondary_parse("22000000ACW10E07", &meters[2].sa);
    meters[0].primary = 5, meters[1].primary = -1, meters[2].primary = 7;
    mbus_secondary_parse("1234567800000000", &meters[0].sa); /* any concrete address */
    mbus_secondary_parse("1234567900000000", &meters[1].sa);
    mbus_secondary_parse("2200000000000000", &meters[2].sa);
    meters[3].primary = 11; /* its secondary (zeros) must never be selected */
    vmbus_session s;
    vmbus_session_init(&s);
    uint8_t out[MBUS_FRAME_MAX];
    mbus_frame f;
    mbus_error err;
    /* SND_NKE to 5: E5; to 6: nothing; to 0xFF: nothing */
    CHECK_INT(short_frame(&s, 0x40, 5, out), 1);
    CHECK_INT(out[0], 0xE5);
    CHECK_INT(short_frame(&s, 0x40, 6, out), 0);
    CHECK_INT(short_frame(&s, 0x40, 0xFF, out), 0);
    /* primary REQ_UD2: pages 0, 1 with a toggled FCB, repeated with the same FCB */
    size_t n = short_frame(&s, 0x7B, 7, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK && f.data[0] == 0x20);
    n = short_frame(&s, 0x5B, 7, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK && f.data[0] == 0x21);
    n = short_frame(&s, 0x5B, 7, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK && f.data[0] == 0x21);
    n = short_frame(&s, 0x7B, 7, out); /* after the last page: the first again */
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK && f.data[0] == 0x20);
    /* a wildcard select matching two: E5, then a collision (wrong checksum) */
    CHECK_INT(select_mask(&s, "1234567FFFFFFFFF", out), 1);
    n = short_frame(&s, 0x7B, 0xFD, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_ERR_CHECKSUM);
    CHECK_INT(s.collisions, 1);
    /* one match: its answer, A = its primary address */
    CHECK_INT(select_mask(&s, "12345679FFFFFFFF", out), 1);
    n = short_frame(&s, 0x7B, 0xFD, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK && f.data[0] == 0x10);
    CHECK_INT(f.a, 0);
    /* no match: silence, and the selection is gone */
    CHECK_INT(select_mask(&s, "99FFFFFFFFFFFFFF", out), 0);
    CHECK_INT(short_frame(&s, 0x7B, 0xFD, out), 0);
    /* SND_NKE to FD ends a selection */
    CHECK_INT(select_mask(&s, "22000000FFFFFFFF", out), 1);
    CHECK_INT(short_frame(&s, 0x40, 0xFD, out), 1);
    CHECK_INT(short_frame(&s, 0x7B, 0xFD, out), 0);
    /* the primary-only meter answers by primary address */
    n = short_frame(&s, 0x7B, 11, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK && f.data[0] == 0x30);
    /* REQ_UD2 to 0xFE with four meters: a collision */
    n = short_frame(&s, 0x7B, 0xFE, out);
    CHECK(n > 0 && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_ERR_CHECKSUM);
    /* an application reset to 7: E5; data to 0xFF: nothing */
    uint8_t req[32], d = 0;
    CHECK_INT(ask(&s, req, mbus_encode_long(req, sizeof req, 0x53, 7, 0x50, &d, 0), out), 1);
    CHECK_INT(ask(&s, req, mbus_encode_long(req, sizeof req, 0x53, 0xFF, 0x51, &d, 1), out), 0);
}

/* A wildcard search over the session finds every meter (the collision makes it descend). */
static int search(vmbus_session *s, mbus_secondary mask, int pos, int *found) {
    uint8_t out[MBUS_FRAME_MAX];
    char text[MBUS_SECONDARY_TEXT];
    mbus_secondary_format(&mask, text);
    if (select_mask(s, text, out) != 1)
        return 0;
    size_t n = short_frame(s, 0x7B, 0xFD, out);
    mbus_frame f;
    mbus_error err;
    if (n && mbus_frame_parse_exact(out, n, &f, &err) == MBUS_OK) {
        (*found)++;
        return 1;
    }
    for (unsigned d = 0; d < 10 && pos < 8; d++) {
        mbus_secondary m = mask;
        mbus_secondary_set_nibble(&m, pos, d);
        search(s, m, pos + 1, found);
    }
    return 1;
}

static void test_search_finds_all(void) {
    vmbus_session s;
    vmbus_session_init(&s);
    int found = 0;
    search(&s, mbus_secondary_any(), 0, &found);
    CHECK_INT(found, 3); /* the primary-only meter is not among them */
}

/* ---- the stream ------------------------------------------------------------------ */

static int frames_seen;
static uint8_t last_c;
static void on_frame(void *ctx, const uint8_t *b, size_t n, const mbus_frame *f) {
    frames_seen++;
    last_c = f->c;
}

static void test_stream(void) {
    mbus_stream st = {0};
    uint8_t b[64];
    /* garbage, a short frame split in two, a long frame with a bad checksum, an ACK */
    size_t n = hex("00 FF 10 7B 05 80 16 68 03 03 68 53 FD 52 AA 16 E5", b, sizeof b);
    CHECK_INT(mbus_stream_push(&st, b, 4, on_frame, NULL), 0);
    CHECK_INT(mbus_stream_push(&st, b + 4, n - 4, on_frame, NULL), 2);
    CHECK_INT(frames_seen, 2);
    CHECK_INT(last_c, 0);
    CHECK(st.skipped >= 2 + 9);
    mbus_stream_reset(&st);
    CHECK_INT(st.len, 0);
}

/* ---- the directory ----------------------------------------------------------------- */

static void test_directory(void) {
    cfg_err err;
    cfg_node *root = cfg_load_string("mbus_virtual:\n  port: 10555\n  protocols: [mbus, modbus]\n"
                                     "  meters:\n    - {name: em1, primary: 9}\n",
                                     "t.yaml", &err);
    vmbus_config *cfg;
    CHECK(root && vmbus_config_parse(cfg_get(root, "mbus_virtual"), &cfg, &err));
    vmbus_directory d;
    vmbus_directory_init(&d, cfg);
    dh_meter a = {.name = "w1", .interface = "mbus", .primary_address = 5, .secondary = "11490378ACW0E16"};
    a.secondary = "11490378A7040E16";
    dh_meter b = {.name = "w2", .interface = "mbus", .primary_address = 5, .secondary = "22490378A7040E16"};
    dh_meter c = {.name = "em1", .interface = "modbus", .primary_address = -1, .serial = "12345678",
                  .manufacturer = "ABC", .medium = 2};
    dh_meter r = {.name = "radio", .interface = "wmbus", .secondary = "33490378A7040E16"};
    dh_meter bad = {.name = "em2", .interface = "modbus", .serial = "12-34"};
    vmbus_directory_meter(&d, &a);
    vmbus_directory_meter(&d, &b);
    vmbus_directory_meter(&d, &c);
    vmbus_directory_meter(&d, &r); /* wmbus not offered here */
    vmbus_directory_meter(&d, &bad);
    CHECK_INT(d.n, 4);
    CHECK_INT(d.entries[0].primary, 5);
    CHECK_INT(d.entries[1].primary, -1); /* 5 is taken */
    CHECK_INT(d.entries[2].primary, 9);  /* configured */
    CHECK(d.entries[2].has_secondary && d.entries[2].secondary.id_bcd == 0x12345678);
    CHECK_INT(d.entries[2].secondary.manufacturer, mbus_manufacturer_code("ABC"));
    CHECK(!d.entries[3].has_secondary && d.entries[3].primary < 0); /* not offered */
    vmbus_directory_free(&d);
    vmbus_config_free(cfg);
    cfg_free(root);
    /* errors carry their position */
    root = cfg_load_string("mbus_virtual:\n  protocols: [mbus, zigbee]\n", "t.yaml", &err);
    CHECK(!vmbus_config_parse(cfg_get(root, "mbus_virtual"), &cfg, &err));
    CHECK_MSG(strstr(err.msg, "t.yaml:2:") != NULL, "%s", err.msg);
    cfg_free(root);
}

int main(void) {
    test_round_trip();
    test_other_protocols();
    test_pages_and_expiration();
    test_session();
    test_search_finds_all();
    test_stream();
    test_directory();
    return test_summary("test_mbus_virtual");
}
