/* libFuzzer target for the Modbus server's request path: the input is the byte
 * stream a master sends, cut into ADUs as modbus_server.c does (Modbus TCP
 * framing, and separately RTU framing with the CRC check), each answered by
 * mbs_decide() against a register image built from a datahub, for a plain
 * mapping and for the MUC500 multi-slave layout. A read answer must fit the
 * libmodbus mapping the server copies it into (2000 bits, 125 registers) and
 * the ADU size; exceptions carry a standard code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "tests/fuzz_fixture.h"
#include "core/log.h"
#include "north/modbus/modbus_server_int.h"

static const char *const configs[] = {
    "modbus_server:\n"
    "  tcp: {port: 1502, bind: 127.0.0.1}\n"
    "  byte_order: ABCD\n"
    "  groups:\n"
    "    - label: plant\n"
    "      mappings:\n"
    "        - {point: m/0, bank: holding, address: 100, format: float32}\n"
    "        - {point: m/1, bank: input, address: 0, format: int32, byte_order: CDAB, invalid: mark}\n"
    "        - {point: m/2, bank: coils, address: 7, format: bool}\n"
    "        - {point: m/3, bank: discrete, address: 65535, format: bool}\n"
    "        - {point: m/4, bank: holding, address: 65534, format: uint16}\n"
    "  identification: {vendor: acme, product_code: gw, revision: '1.0', model: Standard}\n",
    "modbus_server:\n"
    "  tcp: {port: 1502, bind: 127.0.0.1}\n"
    "  layout: {variant: standard, multi_slave: true, serial: 0xD0800DC1}\n",
};
#define N_CONFIGS (sizeof configs / sizeof configs[0])

static cfg_node *roots[N_CONFIGS];
static modbus_server_config *cfgs[N_CONFIGS];
static mbs_state states[N_CONFIGS];
static datahub *hub;
static mbs_decision dec;


static void setup(void) {
    log_set_level(LOG_LVL_ERROR);
    hub = datahub_new();
    dh_meter m = {.name = "m", .interface = "mbus", .primary_address = 5, .serial = "12345678",
                  .manufacturer = "ACW", .version = 7, .medium = 7, .medium_name = "water",
                  .status = "ok", .last_read_ns = clock_wall_ns()};
    datahub_meter(hub, &m);
    fuzz_publish(hub, "m", "m/0", DP_DOUBLE, 12.5);
    fuzz_publish(hub, "m", "m/1", DP_INT, -42);
    fuzz_publish(hub, "m", "m/2", DP_BOOL, 1);
    fuzz_publish(hub, "m", "m/3", DP_BOOL, 0);
    fuzz_publish(hub, "m", "m/4", DP_INT, 65535);
    for (size_t i = 0; i < N_CONFIGS; i++) {
        cfg_err err = {{0}};
        roots[i] = cfg_load_string(configs[i], "fuzz.yaml", &err);
        if (!roots[i] || !modbus_server_config_parse(cfg_get(roots[i], "modbus_server"), &cfgs[i], &err)) {
            fprintf(stderr, "fuzz_modbus setup: %s\n", err.msg);
            abort();
        }
        states[i].cfg = cfgs[i];
        states[i].hub = hub;
        mbs_map_rebuild(&states[i]);
    }
}

static void check(const mbs_decision *d) {
    uint8_t rsp[MB_ADU_MAX + 8];
    switch (d->kind) {
    case MBS_REPLY_NONE: break;
    case MBS_REPLY_READ: {
        bool bits = d->req.function == MB_FC_READ_COILS || d->req.function == MB_FC_READ_DISCRETE;
        unsigned max = bits ? MB_MAX_READ_BITS : MB_MAX_READ_REGISTERS;
        if (d->req.count == 0 || d->req.count > max || d->req.function < 1 || d->req.function > 4)
            abort();
        if ((uint32_t)d->req.address + d->req.count > 65536u)
            abort();
        size_t n = mb_build_read_rsp(d->req.function, d->items, d->req.count, rsp);
        if (n == 0 || n > 253)
            abort();
        break;
    }
    case MBS_REPLY_EXCEPTION:
        if (d->exception < MB_EX_ILLEGAL_FUNCTION ||
            (d->exception > MB_EX_DEVICE_FAILURE && d->exception != MB_EX_GATEWAY_TARGET))
            abort();
        break;
    case MBS_REPLY_DEVICE_ID:
        if (d->pdu_len == 0 || d->pdu_len > 253 || mb_tcp_wrap(1, 1, d->pdu, d->pdu_len, rsp) > MB_ADU_MAX)
            abort();
        break;
    }
}

static void answer(const uint8_t *adu, size_t len, bool tcp) {
    size_t hdr = tcp ? MB_TCP_HEADER : 1;
    size_t pdu_len = len - hdr - (tcp ? 0 : 2);
    for (size_t i = 0; i < N_CONFIGS; i++) {
        mbs_map_refresh_clock(&states[i], clock_wall_ns());
        mbs_decide(&states[i], adu[hdr - 1], tcp, adu + hdr, pdu_len, &dec);
        check(&dec);
    }
}

static void tcp_stream(const uint8_t *b, size_t n) {
    while (n > 0) {
        int need = mb_tcp_adu_length(b, n);
        if (need < 0 || need == 0 || (size_t)need > n)
            return;
        if (need <= MB_TCP_HEADER || need > MB_ADU_MAX)
            abort(); /* the server's buffer and header arithmetic rely on this */
        answer(b, (size_t)need, true);
        b += need;
        n -= (size_t)need;
    }
}

static void rtu_stream(const uint8_t *b, size_t n) {
    while (n > 0) {
        int need = mb_rtu_request_length(b, n);
        if (need < 0 || need > MB_ADU_MAX || need == 0 || (size_t)need > n)
            return;
        if (need < 4)
            abort();
        /* the server drops frames with a bad CRC; a fuzzer rarely finds one, so
         * answer every frame as if it had passed */
        answer(b, (size_t)need, false);
        b += need;
        n -= (size_t)need;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!hub)
        setup();
    tcp_stream(data, size);
    rtu_stream(data, size);
    mb_read_req req;
    if (size > 0 && mb_parse_read_req(data, size, &req) && req.function > 4)
        abort();
    return 0;
}
