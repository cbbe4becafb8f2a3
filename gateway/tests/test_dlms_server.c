/* The DLMS server's parts without sockets: the codec additions (ExceptionResponse,
 * unit codes), the `dlms_server:` section's errors, the store's range queries,
 * and sessions (north/dlms_server/dlms_server_session.h) over the real objects,
 * a datahub and a store, driven by APDUs the codec builds as a head-end would:
 * associations of each kind, read-only access, GET with list, blocks, ranges,
 * and the refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/datahub.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_axdr.h"
#include "codec/dlms/dlms_cipher.h"
#include "codec/dlms/dlms_exception.h"
#include "north/dlms_server/dlms_server_config.h"
#include "north/dlms_server/dlms_server_objects.h"
#include "north/dlms_server/dlms_server_session.h"
#include "store/store.h"
#include "store/store_range.h"
#include "tests/test.h"

#define T0 1767225600000000000LL /* 2026-01-01T00:00:00Z */
#define MIN15 (900 * NS_PER_S)

static const char CONFIG[] =
    "dlms_server:\n"
    "  tcp: {port: 4059}\n"
    "  max_pdu: 256\n"
    "  clients:\n"
    "    - {sap: 16}\n"
    "    - {sap: 32, auth: lls, password: pw}\n"
    "    - {sap: 48, auth: hls, ek: 000102030405060708090A0B0C0D0E0F, ak: D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF}\n"
    "  registers:\n"
    "    - {point: m1/voltage, obis: \"1-1:32.7.0.255\"}\n"
    "    - {point: m1/energy}\n"
    "    - {point: m1/text, obis: \"0-1:96.1.0.255\", class: data}\n"
    "  profiles:\n"
    "    - {obis: \"1-1:99.1.0.255\", columns: [{point: m1/lp/1, register: \"1-0:1.8.0.255\"}]}\n";

/* ---- codec ----------------------------------------------------------------------- */

static void test_exception_codec(void) {
    uint8_t buf[16];
    axdr_writer w;
    dlms_exception e = {.state_error = 1, .service_error = 6, .invocation_counter = 0x01020304}, d;
    const char *why = "";
    axdr_writer_init(&w, buf, sizeof buf);
    dlms_exception_encode(&w, &e);
    CHECK_INT(w.len, 7);
    CHECK(memcmp(buf, "\xD8\x01\x06\x01\x02\x03\x04", 7) == 0);
    CHECK(dlms_exception_decode(buf, w.len, &d, &why));
    CHECK_INT(d.invocation_counter, 0x01020304);
    CHECK(!dlms_exception_decode(buf, 5, &d, &why));
    CHECK_STR(why, "invocation counter missing");
    CHECK(!dlms_exception_decode((const uint8_t *)"\xD8\x03\x01", 3, &d, &why));
    CHECK(!dlms_exception_decode((const uint8_t *)"\xD8\x01\x09", 3, &d, &why));
    CHECK(dlms_exception_decode((const uint8_t *)"\xD8\x01\x04", 3, &d, &why));
    CHECK_STR(dlms_service_error_text(d.service_error), "pdu-too-long");
    CHECK_INT(dlms_unit_code("Wh"), 30);
    CHECK_INT(dlms_unit_code("V"), 35);
    CHECK_INT(dlms_unit_code("m3"), 13);
    CHECK_INT(dlms_unit_code(""), 255);
    CHECK_INT(dlms_unit_code("furlong"), 255);
}

/* ---- configuration ---------------------------------------------------------------- */

static dlms_server_config *parse(const char *text, cfg_err *err) {
    cfg_node *root = cfg_load_string(text, "t.yaml", err);
    dlms_server_config *c = NULL;
    if (!root) return NULL;
    if (!dlms_server_config_parse(cfg_get(root, "dlms_server"), "gw1", &c, err)) c = NULL;
    cfg_free(root);
    return c;
}

static void config_fails(const char *text, const char *msg) {
    cfg_err err = {{0}};
    dlms_server_config *c = parse(text, &err);
    CHECK(c == NULL);
    CHECK_MSG(strstr(err.msg, msg) != NULL, "%s (wanted %s)", err.msg, msg);
    dlms_server_config_free(c);
}

static void test_config(void) {
    cfg_err err = {{0}};
    dlms_server_config *c = parse(CONFIG, &err);
    CHECK_MSG(c != NULL, "%s", err.msg);
    if (!c) return;
    CHECK_INT(c->n_clients, 3);
    CHECK_INT(c->port, 4059);
    CHECK_STR(c->device_id, "gw1");
    CHECK(!c->clients[0].reads_all && c->clients[1].reads_all && c->clients[2].reads_all);
    CHECK_INT(c->n_regs, 3);
    CHECK(c->regs[0].has_obis && !c->regs[1].has_obis && c->regs[2].kind == DLMS_SRV_DATA);
    CHECK_INT(c->n_profiles, 1);
    CHECK(c->event_log);
    dlms_server_config_free(c);
    config_fails("dlms_server: {tcp: {port: 1}, clients: [{sap: 32, auth: lls}]}\n",
                 "t.yaml:1:41: password is required for auth: lls");
    config_fails("dlms_server: {tcp: {port: 1}, clients: [{sap: 16}, {sap: 16}]}\n", "client sap 16 is listed twice");
    config_fails("dlms_server: {tcp: {port: 1}, clients: [{sap: 48, auth: hls, ek: 00, ak: 00}]}\n",
                 "ek must be 32 hex digits");
    config_fails("dlms_server: {tcp: {port: 1}, registers: [{point: a, obis: 1.2.3}]}\n",
                 "t.yaml:1:60: obis: \"1.2.3\" is not a logical name");
    config_fails("dlms_server: {tcp: {port: 1}, registers: [{point: a, unit: furlong}]}\n", "has no COSEM code");
    config_fails("dlms_server: {tcp: {port: 1}, profiles: [{obis: 1-0:99.1.0.255, columns: []}]}\n",
                 "a profile has 1 to 8 columns");
    config_fails("dlms_server: {tcp: {port: 1}, colour: red}\n", "colour");
    config_fails("dlms_server: {clients: []}\n", "dlms_server needs tcp, hdlc or both");
    config_fails("dlms_server: {hdlc: {baud: 9600}}\n", "device is required");
}

/* ---- store and hub ---------------------------------------------------------------- */

typedef struct world {
    char path[64];
    gw_store *store;
    datahub *hub;
    dlms_server_config *cfg;
    dlms_srv_objects objects;
    dlms_srv_params params;
    uint32_t fc;
} world;

static void publish(datahub *hub, const char *id, const char *address, double value, int64_t raw, int scale,
                    const char *unit, int64_t ts) {
    dp p = {.id = id, .unit = unit, .ts_ns = ts};
    p.value.type = DP_DOUBLE;
    p.value.d = value;
    p.origin = (dp_origin){.meter = "m1", .record = -1, .protocol = address ? DP_PROTO_DLMS : DP_PROTO_NONE,
                           .address = address, .raw_int = raw, .scale_exp = scale, .has_raw = true};
    datahub_publish(hub, &p);
}

static void publish_text(datahub *hub, const char *id, const char *text) {
    dp p = {.id = id, .unit = "", .ts_ns = T0};
    p.value.type = DP_STRING;
    p.value.s = text;
    p.origin.meter = "m1";
    datahub_publish(hub, &p);
}

static void fake_random(void *arg, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(0xA0 + i);
}

static uint32_t fake_fc(void *arg) { return ((world *)arg)->fc++; }

static uint8_t get_obj(void *arg, const cosem_ref *ref, const dlms_access *acc, bool identity, axdr_writer *w) {
    return dlms_srv_objects_get(&((world *)arg)->objects, ref, acc, identity, w);
}

static bool world_open(world *wd) {
    char err[256] = "";
    cfg_err cerr = {{0}};
    memset(wd, 0, sizeof *wd);
    snprintf(wd->path, sizeof wd->path, "/tmp/test_dlms_server_%d.db", (int)getpid());
    unlink(wd->path);
    wd->store = store_open(wd->path, err, sizeof err);
    wd->hub = datahub_new();
    wd->cfg = parse(CONFIG, &cerr);
    CHECK_MSG(wd->store && wd->cfg, "%s %s", err, cerr.msg);
    if (!wd->store || !wd->cfg) return false;
    store_attach(wd->store, wd->hub, NULL);
    wd->fc = 100;
    wd->objects = (dlms_srv_objects){.cfg = wd->cfg, .hub = wd->hub, .store = wd->store};
    wd->params = (dlms_srv_params){.cfg = wd->cfg, .get = get_obj, .arg = wd, .random = fake_random,
                                   .next_fc = fake_fc};
    publish(wd->hub, "m1/voltage", "1-0:32.7.0.255 class 3 attr 2", 230.4, 2304, -1, "V", T0);
    publish(wd->hub, "m1/energy", "1-0:1.8.0.255 class 3 attr 2", 12345000, 12345, 3, "Wh", T0);
    publish_text(wd->hub, "m1/text", "hello");
    for (int i = 0; i < 200; i++) /* a profile of 200 quarter hours, 1 kWh each */
        publish(wd->hub, "m1/lp/1", "1-0:1.8.0.255 class 3 attr 2", 1000.0 * i, i, 3, "Wh", T0 + i * MIN15);
    dh_event ev = {.source = "dlms:n", .kind = "not_read", .meter = "m1", .text = "no answer", .ts_ns = T0 + 5};
    datahub_event(wd->hub, &ev);
    ev.kind = "clock_sync";
    ev.ts_ns = T0 + MIN15;
    datahub_event(wd->hub, &ev);
    store_flush(wd->store);
    return true;
}

static void world_close(world *wd) {
    if (wd->store) store_close(wd->store);
    datahub_free(wd->hub);
    dlms_server_config_free(wd->cfg);
    unlink(wd->path);
}

typedef struct range_rows {
    int n;
    int64_t first, last;
} range_rows;

static void on_row(void *arg, int64_t ts, bool has_number, double number, const char *text) {
    range_rows *r = arg;
    if (!r->n) r->first = ts;
    r->last = ts;
    r->n++;
}

static void on_event_row(void *arg, const store_range_event *row) { ((range_rows *)arg)->n++; }

static void test_store_ranges(world *wd) {
    range_rows r = {0};
    CHECK_INT(store_point_range(wd->store, "m1/lp/1", T0 + MIN15, T0 + 4 * MIN15, 0, on_row, &r), 4);
    CHECK_INT(r.first, T0 + MIN15);
    CHECK_INT(r.last, T0 + 4 * MIN15);
    r = (range_rows){0};
    CHECK_INT(store_point_range(wd->store, "m1/lp/1", 0, INT64_MAX, 10, on_row, &r), 10); /* max */
    CHECK_INT(r.last, T0 + 9 * MIN15);
    r = (range_rows){0};
    CHECK_INT(store_point_range(wd->store, "m1/none", 0, INT64_MAX, 0, on_row, &r), 0);
    CHECK_INT(store_events_range(wd->store, T0, T0 + 10, 0, on_event_row, &r), 1);
    CHECK_INT(store_events_range(wd->store, 0, INT64_MAX, 0, on_event_row, &r), 2);
    CHECK_INT(store_point_range(NULL, "m1/lp/1", 0, 1, 0, on_row, &r), 0);
}

/* ---- sessions ----------------------------------------------------------------------- */

static const uint8_t CLIENT_TITLE[8] = {'H', 'E', 'S', 0, 0, 0, 0, 1};

typedef struct head_end {
    dlms_session s;
    uint8_t sap;
    dlms_keys keys;
    uint8_t server_title[8];
    uint32_t fc;
    bool ciphered;
    uint8_t out[DLMS_SRV_RESULT_MAX / 4], plain[DLMS_SRV_RESULT_MAX / 4];
    size_t out_len;
} head_end;

/* Send a plain APDU (ciphered when the association is); the answer, plain, in he->plain. */
static size_t exchange(head_end *he, const uint8_t *apdu, size_t len) {
    uint8_t req[512];
    const char *why;
    uint32_t fc;
    if (he->ciphered && dlms_glo_tag(apdu[0])) {
        len = dlms_cipher_protect(&he->keys, CLIENT_TITLE, he->fc++, DLMS_SC_AUTH_ENCRYPT, apdu, len, req, sizeof req);
        apdu = req;
    }
    he->out_len = dlms_session_handle(&he->s, he->sap, apdu, len, he->out, sizeof he->out);
    if (he->ciphered && he->out_len && he->out[0] >= 0xCC && he->out[0] <= 0xCF) {
        long n = dlms_cipher_unprotect(&he->keys, he->server_title, he->out, he->out_len, he->plain,
                                       sizeof he->plain, &fc, &why);
        CHECK_MSG(n > 0, "%s", why);
        return n > 0 ? (size_t)n : 0;
    }
    memcpy(he->plain, he->out, he->out_len);
    return he->out_len;
}

static bool associate(head_end *he, world *wd, uint8_t sap, dlms_auth auth, const char *password, bool good_key) {
    uint8_t ui[64], uic[128], req[256], ctos[16] = "0123456789abcdef";
    axdr_writer w;
    memset(he, 0, sizeof *he);
    dlms_session_init(&he->s, &wd->params);
    he->sap = sap;
    he->fc = 1;
    dlms_key_parse("000102030405060708090A0B0C0D0E0F", he->keys.ek);
    dlms_key_parse(good_key ? "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF" : "00D1D2D3D4D5D6D7D8D9DADBDCDDDEDF", he->keys.ak);
    dlms_initiate ini = {.dlms_version = 6, .conformance = DLMS_CONF_DEFAULT, .max_pdu = 128};
    axdr_writer_init(&w, ui, sizeof ui);
    dlms_initiate_request_encode(&w, &ini);
    dlms_aarq q = {.auth = auth, .user_info = ui, .user_info_len = w.len};
    if (auth == DLMS_AUTH_LLS) {
        q.auth_value = (const uint8_t *)password;
        q.auth_value_len = strlen(password);
    } else if (auth == DLMS_AUTH_HLS_GMAC) {
        q = (dlms_aarq){.auth = auth, .ciphered = true, .calling_title = CLIENT_TITLE, .calling_title_len = 8,
                        .auth_value = ctos, .auth_value_len = 16, .user_info = uic};
        q.user_info_len = dlms_cipher_protect(&he->keys, CLIENT_TITLE, he->fc++, DLMS_SC_AUTH_ENCRYPT, ui, w.len,
                                              uic, sizeof uic);
    }
    axdr_writer_init(&w, req, sizeof req);
    dlms_aarq_encode(&w, &q);
    size_t n = exchange(he, req, w.len);
    dlms_aare a;
    const char *why = "";
    if (!dlms_aare_decode(he->plain, n, &a, &why) || a.result != 0) return false;
    if (auth != DLMS_AUTH_HLS_GMAC) return true;
    CHECK_INT(a.diagnostic, AARE_DIAG_AUTH_REQUIRED);
    CHECK_INT(a.auth_value_len, 16);
    memcpy(he->server_title, a.responding_title, 8);
    he->ciphered = true;
    uint8_t f[DLMS_GMAC_LEN], data[32];
    dlms_hls_gmac(&he->keys, CLIENT_TITLE, he->fc++, a.auth_value, a.auth_value_len, f);
    axdr_writer dw;
    axdr_writer_init(&dw, data, sizeof data);
    axdr_put_octets(&dw, f, sizeof f);
    dlms_action_request act = {.invoke = 0xC1, .ref = {15, {0, 0, 40, 0, 0, 255}, 1}, .data = data, .len = dw.len};
    axdr_writer_init(&w, req, sizeof req);
    dlms_action_request_encode(&w, &act);
    n = exchange(he, req, w.len);
    dlms_simple_response r;
    if (!dlms_action_response_decode(he->plain, n, &r, &why) || r.result != 0) return false;
    axdr_reader rd;
    dlms_value v;
    axdr_reader_init(&rd, r.data, r.len);
    CHECK(axdr_value(&rd, &v) && v.type == DT_OCTET_STRING &&
          dlms_hls_gmac_verify(&he->keys, he->server_title, ctos, 16, v.bytes, v.len));
    return true;
}

/* GET one attribute (blocks followed); the data in he->plain from offset *data. */
static uint8_t *get(head_end *he, uint16_t cls, const char *obis, int8_t attr, const dlms_access *acc, size_t *len,
                    uint8_t *dar, unsigned *blocks) {
    uint8_t req[256];
    axdr_writer w;
    dlms_get_request q = {.kind = GET_NORMAL, .invoke = 0xC1, .n = 1, .ref = {{cls, {0}, attr}}};
    dlms_obis_parse(obis, q.ref[0].obis);
    if (acc) q.access[0] = *acc;
    uint8_t *all = NULL;
    size_t all_len = 0;
    *dar = 0;
    for (;;) {
        axdr_writer_init(&w, req, sizeof req);
        dlms_get_request_encode(&w, &q);
        size_t n = exchange(he, req, w.len);
        dlms_get_response r;
        const char *why = "";
        if (!dlms_get_response_decode(he->plain, n, &r, &why)) {
            *dar = 255;
            return all;
        }
        if (r.kind == GETR_NORMAL) {
            if (!r.res[0].ok) *dar = r.res[0].error;
            all = malloc(r.res[0].len + 1);
            if (r.res[0].len) memcpy(all, r.res[0].data, r.res[0].len);
            *len = r.res[0].len;
            return all;
        }
        if (!r.block_ok) {
            *dar = r.res[0].error;
            return all;
        }
        all = realloc(all, all_len + r.raw_len + 1);
        if (r.raw_len) memcpy(all + all_len, r.raw, r.raw_len);
        all_len += r.raw_len;
        (*blocks)++;
        if (r.last_block) {
            *len = all_len;
            return all;
        }
        q = (dlms_get_request){.kind = GET_NEXT, .invoke = 0xC1, .block = r.block};
    }
}

static double value_of(const uint8_t *p, size_t len) {
    axdr_reader r;
    dlms_value v;
    double d = -1;
    axdr_reader_init(&r, p, len);
    if (axdr_value(&r, &v)) dlms_value_number(&v, &d);
    return d;
}

static void test_public_client(world *wd) {
    head_end he;
    size_t len = 0;
    uint8_t dar;
    unsigned blocks = 0;
    CHECK(associate(&he, wd, 16, DLMS_AUTH_NONE, NULL, true));
    uint8_t *d = get(&he, 1, "0-0:96.1.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK_INT(dar, 0);
    CHECK(d && len == 5 && memcmp(d, "\x09\x03gw1", 5) == 0);
    free(d);
    d = get(&he, 3, "1-1:32.7.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK_INT(dar, DAR_READ_WRITE_DENIED);
    free(d);
    /* SET: read-write-denied */
    uint8_t req[64], val[] = {0x11, 0x01};
    axdr_writer w;
    dlms_set_request s = {.invoke = 0xC1, .ref = {8, {0, 0, 1, 0, 0, 255}, 2}, .data = val, .len = 2};
    axdr_writer_init(&w, req, sizeof req);
    dlms_set_request_encode(&w, &s);
    size_t n = exchange(&he, req, w.len);
    CHECK(n == 4 && memcmp(he.plain, "\xC5\x01\xC1\x03", 4) == 0);
    /* an unknown APDU: service-unknown */
    n = exchange(&he, (const uint8_t *)"\x77\x00", 2);
    CHECK(n == 3 && memcmp(he.plain, "\xD8\x02\x02", 3) == 0);
    /* another SAP than the associated one: no answer */
    he.sap = 17;
    CHECK_INT(exchange(&he, (const uint8_t *)"\xC0\x01\xC1", 3), 0);
    he.sap = 16;
    /* after RLRQ nothing but an AARQ is served */
    n = exchange(&he, (const uint8_t *)"\x62\x00", 2);
    CHECK(n > 0 && he.plain[0] == APDU_RLRE);
    d = get(&he, 1, "0-0:96.1.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK(he.out_len == 3 && memcmp(he.out, "\xD8\x01\x01", 3) == 0);
    free(d);
    dlms_session_reset(&he.s);
}

static void test_lls_registers_and_list(world *wd) {
    head_end he;
    size_t len = 0;
    uint8_t dar;
    unsigned blocks = 0;
    CHECK(!associate(&he, wd, 32, DLMS_AUTH_LLS, "wrong", true));
    CHECK(!associate(&he, wd, 32, DLMS_AUTH_NONE, NULL, true)); /* LLS is required */
    CHECK(!associate(&he, wd, 99, DLMS_AUTH_NONE, NULL, true)); /* no such client */
    CHECK(associate(&he, wd, 32, DLMS_AUTH_LLS, "pw", true));
    uint8_t *d = get(&he, 3, "1-1:32.7.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK(dar == 0 && value_of(d, len) == 2304);
    free(d);
    d = get(&he, 3, "1-1:32.7.0.255", 3, NULL, &len, &dar, &blocks);
    CHECK(dar == 0 && len == 6 && memcmp(d, "\x02\x02\x0F\xFF\x16\x23", 6) == 0); /* -1, V */
    free(d);
    d = get(&he, 3, "1-0:1.8.0.255", 2, NULL, &len, &dar, &blocks); /* the point's own logical name */
    CHECK(dar == 0 && value_of(d, len) == 12345);
    free(d);
    d = get(&he, 4, "1-0:1.8.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK_INT(dar, DAR_OBJECT_UNDEFINED); /* not an extended register */
    free(d);
    d = get(&he, 1, "0-1:96.1.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK(dar == 0 && len == 7 && memcmp(d, "\x09\x05hello", 7) == 0);
    free(d);
    /* with list: a value, an unknown object, a scaler_unit */
    uint8_t req[128];
    axdr_writer w;
    dlms_get_request q = {.kind = GET_WITH_LIST, .invoke = 0xC2, .n = 3,
                          .ref = {{3, {1, 1, 32, 7, 0, 255}, 2}, {3, {1, 9, 1, 8, 0, 255}, 2}, {3, {1, 0, 1, 8, 0, 255}, 3}}};
    axdr_writer_init(&w, req, sizeof req);
    dlms_get_request_encode(&w, &q);
    size_t n = exchange(&he, req, w.len);
    dlms_get_response r;
    const char *why = "";
    CHECK(dlms_get_response_decode(he.plain, n, &r, &why) && r.kind == GETR_WITH_LIST && r.n == 3);
    CHECK(r.res[0].ok && value_of(r.res[0].data, r.res[0].len) == 2304);
    CHECK(!r.res[1].ok && r.res[1].error == DAR_OBJECT_UNDEFINED);
    CHECK(r.res[2].ok && r.res[2].len == 6 && memcmp(r.res[2].data, "\x02\x02\x0F\x03\x16\x1E", 6) == 0);
    /* a GET cut short */
    n = exchange(&he, (const uint8_t *)"\xC0\x01\xC1\x00", 4);
    CHECK(n == 3 && memcmp(he.plain, "\xD8\x01\x03", 3) == 0);
    CHECK_INT(dlms_session_too_long(&he.s, he.out, sizeof he.out), 3);
    dlms_session_reset(&he.s);
}

/* The profile's 200 entries in blocks of the client's 128-byte PDUs, then a range. */
static void test_hls_profile_blocks_and_range(world *wd) {
    head_end he;
    size_t len = 0;
    uint8_t dar;
    unsigned blocks = 0;
    CHECK(!associate(&he, wd, 48, DLMS_AUTH_HLS_GMAC, NULL, false)); /* wrong AK */
    CHECK(associate(&he, wd, 48, DLMS_AUTH_HLS_GMAC, NULL, true));
    uint8_t *d = get(&he, 7, "1-1:99.1.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK_INT(dar, 0);
    CHECK_MSG(blocks > 10, "%u blocks", blocks);
    axdr_reader r;
    dlms_value v;
    axdr_reader_init(&r, d, len);
    CHECK(axdr_value(&r, &v) && v.type == DT_ARRAY && v.count == 200);
    for (size_t i = 0; i < 199 && !r.err; i++) axdr_skip(&r);
    dlms_value st, tv, val;
    dlms_datetime dt;
    int64_t ts = 0;
    CHECK(axdr_value(&r, &st) && st.count == 2 && axdr_value(&r, &tv) && axdr_value(&r, &val));
    CHECK(dlms_datetime_decode(tv.bytes, tv.len, &dt) && dlms_datetime_to_unix_ns(&dt, &ts));
    CHECK_INT(ts, T0 + 199 * MIN15);
    CHECK_INT(val.u, 199); /* 199 kWh at the register's scaler 3 */
    CHECK_INT(axdr_remaining(&r), 0);
    free(d);
    uint8_t params[96];
    axdr_writer w;
    axdr_writer_init(&w, params, sizeof params);
    dlms_range_encode(&w, T0 + 10 * MIN15, T0 + 13 * MIN15);
    dlms_access acc = {.selector = 1, .params = params, .params_len = w.len};
    blocks = 0;
    d = get(&he, 7, "1-1:99.1.0.255", 2, &acc, &len, &dar, &blocks);
    axdr_reader_init(&r, d, len);
    CHECK(dar == 0 && axdr_value(&r, &v) && v.count == 4);
    free(d);
    acc.selector = 2;
    d = get(&he, 7, "1-1:99.1.0.255", 2, &acc, &len, &dar, &blocks);
    CHECK_INT(dar, DAR_SCOPE_VIOLATED);
    free(d);
    d = get(&he, 7, "0-0:99.98.0.255", 2, NULL, &len, &dar, &blocks);
    CHECK(dar == 0 && len == 2 + 2 * (2 + 14 + 3));
    CHECK(d && d[1] == 2 && d[18] == 0x12 && d[20] == 1 && d[39] == 4); /* not_read 1, clock_sync 4 */
    free(d);
    /* a replayed frame counter: invocation-counter-error, then served again */
    he.fc--;
    size_t n = exchange(&he, (const uint8_t *)"\xC0\x01\xC1\x00\x01\x00\x00\x60\x01\x00\xFF\x02\x00", 13);
    CHECK(n == 7 && memcmp(he.plain, "\xD8\x01\x06", 3) == 0);
    he.fc++;
    n = exchange(&he, (const uint8_t *)"\xC0\x01\xC1\x00\x01\x00\x00\x60\x01\x00\xFF\x02\x00", 13);
    CHECK(n == 9 && he.plain[0] == 0xC4);
    /* plain APDUs in a ciphered association: deciphering-error */
    he.ciphered = false;
    n = exchange(&he, (const uint8_t *)"\xC0\x01\xC1\x00\x01\x00\x00\x60\x01\x00\xFF\x02\x00", 13);
    CHECK(n == 3 && memcmp(he.plain, "\xD8\x01\x05", 3) == 0);
    dlms_session_reset(&he.s);
}

int main(void) {
    test_exception_codec();
    test_config();
    world wd;
    if (world_open(&wd)) {
        test_store_ranges(&wd);
        test_public_client(&wd);
        test_lls_registers_and_list(&wd);
        test_hls_profile_blocks_and_range(&wd);
    }
    world_close(&wd);
    return test_summary("test_dlms_server");
}
