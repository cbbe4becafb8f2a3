/* libFuzzer target for the Virtual M-Bus: the input is a master's byte stream
 * (codec/mbus/mbus_stream.h) to a virtual segment of three meters built from
 * real records (north/mbus_virtual/), and the first bytes of it also as a
 * point's M-Bus address text (vmbus_record.h). Every answer must be an E5 or
 * a long frame that parses (a collision only with a wrong checksum). */
#include <stdlib.h>
#include <string.h>

#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_stream.h"
#include "north/mbus_virtual/vmbus_record.h"
#include "north/mbus_virtual/vmbus_session.h"
#include "north/mbus_virtual/vmbus_telegram.h"
#include "south/mbus/mbus_publish.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static datahub *hub;
static const char *const names[3] = {"a", "b", "c"};
static const mbus_secondary addrs[3] = {{0x12345678, 0x0477, 4, 7}, {0x12345679, 0x0477, 4, 7},
                                        {0x22000000, 0x0477, 4, 7}};

static void set_up(void) {
    static const uint8_t acw[] = {0x78, 0x03, 0x49, 0x11, 0x77, 0x04, 0x0E, 0x16, 0x0A, 0x00,
                                  0x00, 0x00, 0x0C, 0x78, 0x78, 0x03, 0x49, 0x11, 0x04, 0x13,
                                  0x31, 0xD4, 0x00, 0x00, 0x42, 0x6C, 0x00, 0x00, 0x44, 0x13,
                                  0x00, 0x00, 0x00, 0x00, 0x04, 0x6D, 0x0B, 0x0B, 0xCD, 0x13};
    static mbus_data d;
    mbus_error err;
    hub = datahub_new();
    mbus_app_decode(0x72, acw, sizeof acw, &d, &err);
    for (int i = 0; i < 3; i++) {
        mbus_meter_cfg mc = {.name = (char *)names[i], .primary = i == 1 ? -1 : 5 + i};
        mbus_publish_records(hub, names[i], d.records, d.n_records, 1);
        mbus_publish_meter_ok(hub, &mc, &d.hdr, 1);
    }
}

static size_t count(void *ctx) { return 3; }
static bool address(void *ctx, size_t i, int *primary, mbus_secondary *sa, bool *has_sa) {
    *primary = i == 1 ? -1 : 5 + (int)i;
    *sa = addrs[i];
    *has_sa = i != 2; /* meter c: primary only */
    return true;
}
static size_t rsp(void *ctx, size_t i, uint8_t a, unsigned page, uint8_t *out, size_t cap,
                  bool *more) {
    vmbus_telegram_in in = {.hub = hub, .meter = names[i], .address = addrs[i], .primary = a,
                            .now_wall_ns = 2, .expiration_ns = 1};
    return vmbus_telegram_build(&in, page, out, cap, more);
}
static const vmbus_slaves slaves = {count, address, rsp, NULL};
static vmbus_session session;

static void on_frame(void *ctx, const uint8_t *bytes, size_t len, const mbus_frame *f) {
    uint8_t out[MBUS_FRAME_MAX];
    size_t n = vmbus_session_handle(&session, &slaves, f, out, sizeof out);
    mbus_frame a;
    mbus_error err;
    if (n > MBUS_FRAME_MAX)
        abort();
    if (n == 1 && out[0] != 0xE5)
        abort();
    if (n > 1) {
        mbus_err_code rc = mbus_frame_parse_exact(out, n, &a, &err);
        if (rc != MBUS_OK && rc != MBUS_ERR_CHECKSUM)
            abort();
    }
}

static void fuzz_address(const uint8_t *data, size_t size) {
    char text[96];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    dp p = {.id = "x/0", .value = {.type = DP_DOUBLE, .d = 1.5}, .unit = "Wh",
            .origin = {.meter = "x", .record = 0, .protocol = DP_PROTO_MBUS, .address = text,
                       .quantity = "energy", .raw_int = 15, .has_raw = true}};
    uint8_t rec[64];
    if (vmbus_record_encode(&p, rec, sizeof rec) > sizeof rec)
        abort();
    p.value = (dp_value){.type = DP_STRING, .s = text};
    vmbus_record_encode(&p, rec, sizeof rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!hub)
        set_up();
    mbus_stream st = {0};
    vmbus_session_init(&session);
    mbus_stream_push(&st, data, size, on_frame, NULL);
    fuzz_address(data, size);
    return 0;
}
