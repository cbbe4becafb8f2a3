/* libFuzzer target for the DLMS server as a head-end meets it: the first byte
 * picks the association (public client, LLS, or none yet), the rest is cut into
 * APDUs (a length byte, then that many bytes) handed one by one to a session
 * over the real objects (a datahub with registers and texts; no store, so
 * profiles answer empty). Every APDU must get an answer or none without a
 * crash, a leak or an answer longer than the buffer; the input also goes
 * through the ExceptionResponse decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/datahub.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_exception.h"
#include "north/dlms_server/dlms_server_config.h"
#include "north/dlms_server/dlms_server_objects.h"
#include "north/dlms_server/dlms_server_session.h"

static const char CONFIG[] =
    "dlms_server:\n"
    "  tcp: {port: 4059}\n"
    "  max_pdu: 128\n"
    "  clients: [{sap: 16, reads: all}, {sap: 32, auth: lls, password: pw},\n"
    "            {sap: 48, auth: hls, ek: 000102030405060708090A0B0C0D0E0F, ak: D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF}]\n"
    "  registers:\n"
    "    - {point: m/e, obis: \"1-0:1.8.0.255\"}\n"
    "    - {point: m/t, obis: \"0-1:96.1.0.255\", class: data}\n"
    "  profiles:\n"
    "    - {obis: \"1-0:99.1.0.255\", columns: [{point: m/lp/1, register: \"1-0:1.8.0.255\"}]}\n";

static dlms_server_config *cfg;
static datahub *hub;
static dlms_srv_objects objects;
static uint32_t fc = 1;

static void fake_random(void *arg, uint8_t *out, size_t n) { memset(out, 0x5A, n); }
static uint32_t next_fc(void *arg) { return fc++; }
static uint8_t get(void *arg, const cosem_ref *ref, const dlms_access *acc, bool identity, axdr_writer *w) {
    return dlms_srv_objects_get(&objects, ref, acc, identity, w);
}

static void setup(void) {
    cfg_err err;
    cfg_node *root = cfg_load_string(CONFIG, "fuzz.yaml", &err);
    if (!root || !dlms_server_config_parse(cfg_get(root, "dlms_server"), "gw", &cfg, &err)) abort();
    cfg_free(root);
    hub = datahub_new();
    dp p = {.id = "m/e", .unit = "Wh", .value = {.type = DP_DOUBLE, .d = 1234.5}};
    p.origin = (dp_origin){.meter = "m", .raw_int = 12345, .scale_exp = -1, .has_raw = true};
    datahub_publish(hub, &p);
    dp t = {.id = "m/t", .unit = "", .value = {.type = DP_STRING, .s = "text"}};
    datahub_publish(hub, &t);
    objects = (dlms_srv_objects){.cfg = cfg, .hub = hub};
}

static void associate(dlms_session *s, uint8_t sap, bool lls, uint8_t *out, size_t cap) {
    uint8_t ui[32], req[128];
    axdr_writer w;
    dlms_initiate ini = {.dlms_version = 6, .conformance = DLMS_CONF_DEFAULT, .max_pdu = 100};
    axdr_writer_init(&w, ui, sizeof ui);
    dlms_initiate_request_encode(&w, &ini);
    dlms_aarq q = {.auth = lls ? DLMS_AUTH_LLS : DLMS_AUTH_NONE, .user_info = ui, .user_info_len = w.len,
                   .auth_value = (const uint8_t *)"pw", .auth_value_len = lls ? 2 : 0};
    axdr_writer_init(&w, req, sizeof req);
    dlms_aarq_encode(&w, &q);
    dlms_session_handle(s, sap, req, w.len, out, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t out[DLMS_SRV_RESULT_MAX / 4];
    if (!cfg) setup();
    dlms_exception e;
    const char *why;
    (void)dlms_exception_decode(data, size, &e, &why);
    if (size == 0) return 0;
    dlms_srv_params params = {.cfg = cfg, .get = get, .random = fake_random, .next_fc = next_fc};
    dlms_session s;
    dlms_session_init(&s, &params);
    uint8_t mode = data[0] % 4, sap = mode == 2 ? 32 : mode == 3 ? 48 : 16;
    if (mode == 1 || mode == 2) associate(&s, sap, mode == 2, out, sizeof out);
    size_t i = 1;
    while (i < size) {
        size_t n = data[i++];
        if (n > size - i) n = size - i;
        uint8_t *apdu = malloc(n ? n : 1); /* its own allocation: reads past it are caught */
        memcpy(apdu, data + i, n);
        size_t len = dlms_session_handle(&s, sap, apdu, n, out, sizeof out);
        if (len > sizeof out) abort();
        free(apdu);
        i += n;
    }
    dlms_session_reset(&s);
    return 0;
}
