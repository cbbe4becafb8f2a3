/* Modbus server: configuration errors, mapping groups in every format and byte
 * order, the MUC500 layout from the datahub (not-read flag), exceptions, and a
 * live TCP exchange with libmodbus as the master (two masters at once). */
#include <arpa/inet.h>
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "core/iochan.h"
#include "core/loop.h"
#include "north/modbus/modbus_server_int.h"
#include "tests/test.h"

static modbus_server_config *parse(const char *yaml, char *errmsg, size_t cap, cfg_node **root) {
    cfg_err err = {{0}};
    *root = cfg_load_string(yaml, "test.yaml", &err);
    modbus_server_config *c = NULL;
    if (*root && !modbus_server_config_parse(cfg_get(*root, "modbus_server"), &c, &err)) c = NULL;
    snprintf(errmsg, cap, "%s", err.msg);
    return c;
}

static void test_config_errors(void) {
    static const struct { const char *yaml, *want; } bad[] = {
        {"modbus_server: {layout: {}}\n", "needs tcp, rtu or both"},
        {"modbus_server: {tcp: {port: 0}, layout: {}}\n", "1:29"},
        {"modbus_server: {tcp: {}}\n", "needs a layout or mapping groups"},
        {"modbus_server:\n  tcp: {}\n  groups: [{mappings: [{point: a, bank: coils, address: 1, format: int16}]}]\n",
         "coils and discrete inputs hold bool only"},
        {"modbus_server:\n  tcp: {}\n  groups: [{mappings: [{point: a, bank: holding, address: 1, format: int32},\n"
         "                        {point: b, bank: holding, address: 2}]}]\n", "overlaps the mapping of a"},
        {"modbus_server:\n  tcp: {}\n  groups: [{mappings: [{point: a, bank: holding, address: 1, byte_order: BACD}]}]\n",
         "byte_order must be"},
        {"modbus_server:\n  tcp: {}\n  groups: [{mappings: [{point: a, bank: holding, address: 65534, format: float64}]}]\n",
         "runs past address 65535"},
        {"modbus_server: {tcp: {}, layout: {variant: double}}\n", "variant must be standard or float_only"},
        {"modbus_server: {tcp: {}, layout: {}, bogus: 1}\n", "bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[600];
        cfg_node *root;
        modbus_server_config *c = parse(bad[i].yaml, msg, sizeof msg, &root);
        CHECK_MSG(!c && strstr(msg, bad[i].want) && strncmp(msg, "test.yaml:", 10) == 0,
                  "case %zu: %s", i, msg);
        modbus_server_config_free(c);
        cfg_free(root);
    }
}

static void publish(datahub *hub, const char *id, const char *meter, double v, int64_t raw,
                    int exp, const char *unit) {
    dp p = {.id = id, .value = {.type = DP_DOUBLE, .d = v}, .unit = unit, .ts_ns = 1,
            .origin = {.meter = meter, .record = 0, .raw_int = raw, .scale_exp = exp,
                       .has_raw = true, .meter_ts_ns = 0x5CE55EACLL * NS_PER_S}};
    datahub_publish(hub, &p);
}

static void meter(datahub *hub, const char *name, const char *status) {
    dh_meter m = {.name = name, .interface = "mbus", .serial = "12345678", .manufacturer = "ABC",
                  .version = 1, .medium = 2, .status = status,
                  .last_read_ns = 0x5CE55EACLL * NS_PER_S};
    datahub_meter(hub, &m);
}

static int read_regs(mbs_state *st, int unit, uint8_t fc, unsigned addr, unsigned count,
                     uint16_t *out) {
    uint8_t pdu[5];
    mb_read_req r = {fc, (uint16_t)addr, (uint16_t)count};
    mb_build_read_req(&r, pdu);
    mbs_decision *d = malloc(sizeof *d);
    mbs_decide(st, unit, true, pdu, 5, d);
    int rc = d->kind == MBS_REPLY_READ ? 0 : d->kind == MBS_REPLY_EXCEPTION ? d->exception : -1;
    if (rc == 0) memcpy(out, d->items, count * sizeof *out);
    free(d);
    return rc;
}

static void map_update(const dh_update *u, void *arg) { mbs_map_update(arg, u); }

static void test_mappings(void) {
    const char *yaml =
        "modbus_server:\n  tcp: {}\n  byte_order: CDAB\n  groups:\n"
        "    - label: all\n      mappings:\n"
        "        - {point: m/0, bank: holding, address: 0, format: float32, byte_order: ABCD}\n"
        "        - {point: m/0, bank: holding, address: 2, format: float32}\n"
        "        - {point: m/0, bank: holding, address: 4, format: float32, byte_order: BADC}\n"
        "        - {point: m/0, bank: holding, address: 6, format: float32, byte_order: DCBA}\n"
        "        - {point: m/0, bank: input, address: 0, format: uint32, scale: 10000, byte_order: ABCD}\n"
        "        - {point: m/0, bank: input, address: 2, format: int16, scale: -1}\n"
        "        - {point: m/0, bank: input, address: 3, format: int64, scale: 10000, byte_order: ABCD}\n"
        "        - {point: m/0, bank: input, address: 7, format: float64, byte_order: ABCD}\n"
        "        - {point: m/1, bank: coils, address: 5}\n"
        "        - {point: m/1, bank: discrete, address: 0}\n"
        "        - {point: m/2, bank: holding, address: 8, format: int32, invalid: mark, byte_order: ABCD}\n";
    char msg[600];
    cfg_node *root;
    modbus_server_config *c = parse(yaml, msg, sizeof msg, &root);
    CHECK_MSG(c != NULL, "%s", msg);
    if (!c) return;
    datahub *hub = datahub_new();
    mbs_state st = {.cfg = c, .hub = hub};
    mbs_map_rebuild(&st);
    datahub_subscribe(hub, map_update, &st);
    publish(hub, "m/0", "m", 1234.5678, 12345678, -4, "Wh");
    publish(hub, "m/1", "m", 1, 1, 0, "");
    publish(hub, "m/2", "m", 7, 7, 0, "");
    uint16_t r[16];
    CHECK_INT(read_regs(&st, 1, 3, 0, 10, r), 0);
    static const uint16_t want[10] = {0x449A, 0x522B, 0x522B, 0x449A, 0x9A44, 0x2B52, 0x2B52,
                                      0x9A44, 0x0000, 0x0007};
    for (int i = 0; i < 10; i++) CHECK_MSG(r[i] == want[i], "holding %d: %04X", i, r[i]);
    CHECK_INT(read_regs(&st, 1, 4, 0, 11, r), 0);
    CHECK(r[0] == 0x00BC && r[1] == 0x614E); /* 1234.5678 * 10000 */
    CHECK_INT(r[2], 0xFB2D);                  /* -1235 */
    CHECK(r[3] == 0 && r[4] == 0 && r[5] == 0x00BC && r[6] == 0x614E);
    CHECK_INT(r[7], 0x4093); /* 1234.5678 as float64: 0x40934A456D5CFAAD */
    CHECK_INT(r[10], 0xFAAD);
    CHECK_INT(read_regs(&st, 1, 1, 5, 1, r), 0);
    CHECK_INT(r[0], 1);
    CHECK_INT(read_regs(&st, 1, 2, 0, 1, r), 0);
    CHECK_INT(r[0], 1);
    /* exceptions: unmapped, across a gap, count, write, unknown function */
    CHECK_INT(read_regs(&st, 1, 3, 10, 1, r), 2);
    CHECK_INT(read_regs(&st, 1, 1, 0, 6, r), 2);
    CHECK_INT(read_regs(&st, 1, 3, 0, 126, r), 3);
    CHECK_INT(read_regs(&st, 1, 3, 0, 0, r), 3);
    CHECK_INT(read_regs(&st, 1, 3, 65535, 2, r), 2);
    mbs_decision *d = malloc(sizeof *d);
    uint8_t w[5] = {0x06, 0, 0, 0, 1}, odd[1] = {0x41}, id[4] = {0x2B, 0x0E, 1, 0};
    mbs_decide(&st, 1, true, w, 5, d);
    CHECK(d->kind == MBS_REPLY_EXCEPTION && d->exception == 2);
    mbs_decide(&st, 1, true, odd, 1, d);
    CHECK(d->kind == MBS_REPLY_EXCEPTION && d->exception == 1);
    mbs_decide(&st, 1, true, id, 4, d);
    CHECK(d->kind == MBS_REPLY_DEVICE_ID && d->pdu[6] == 3 && d->pdu[7] == 0);
    CHECK(d->pdu_len > 9 && memcmp(d->pdu + 9, "gwd project", 11) == 0);
    free(d);
    /* a meter not read: invalid: mark → INT32 minimum; keep → the last value */
    datahub_set_meter_quality(hub, "m", DPQ_INVALID | DPQ_NOT_TOPICAL, 2);
    CHECK_INT(read_regs(&st, 1, 3, 8, 2, r), 0);
    CHECK(r[0] == 0x8000 && r[1] == 0x0000);
    CHECK_INT(read_regs(&st, 1, 3, 0, 2, r), 0);
    CHECK(r[0] == 0x449A && r[1] == 0x522B);
    datahub_free(hub);
    mbs_image_free(&st.img);
    modbus_server_config_free(c);
    cfg_free(root);
}

/* The layout from the datahub: Table 36's meter and value after a cycle; the
 * not-read flag after a failed one; multi slave and float only addressing. */
static void test_layout(void) {
    const char *yaml = "modbus_server:\n  tcp: {}\n  layout: {serial: 0xD0800DC1, protocol_version: 2, version: 132}\n";
    char msg[600];
    cfg_node *root;
    modbus_server_config *c = parse(yaml, msg, sizeof msg, &root);
    CHECK_MSG(c != NULL, "%s", msg);
    if (!c) return;
    clock_use_virtual(0x5CE55EACLL * NS_PER_S);
    datahub *hub = datahub_new();
    mbs_state st = {.cfg = c, .hub = hub};
    mbs_map_rebuild(&st);
    datahub_subscribe(hub, map_update, &st);
    uint16_t r[125];
    CHECK_INT(read_regs(&st, 9, 3, 0, 10, r), 0);
    CHECK_INT(read_regs(&st, 9, 3, 10, 1, r), 2); /* no meter yet */
    publish(hub, "abc/0", "abc", 1234.5678, 12345678, -4, "Wh");
    meter(hub, "abc", "ok");
    datahub_cycle_end(hub, "mbus:bus1", 1);
    static const uint16_t want[30] = {
        0xD080, 0x0DC1, 0x0002, 0x0084, 0x5CE5, 0x5EAC, 0x0000, 0x0100, 0x0000, 0x0000,
        0x00BC, 0x614E, 0x0443, 0x0102, 0x5CE5, 0x5EAC, 0x0000, 0x0200, 0x0000, 0x0000,
        0x0000, 0x0000, 0x00BC, 0x614E, 0x449A, 0x522B, 0xFFFC, 0x0005, 0x5CE5, 0x5EAC,
    };
    mbs_map_refresh_clock(&st, clock_wall_ns());
    CHECK_INT(read_regs(&st, 255, 3, 0, 30, r), 0);
    for (int i = 0; i < 30; i++) CHECK_MSG(r[i] == want[i], "register %d: %04X", i, r[i]);
    CHECK_INT(read_regs(&st, 255, 3, 25, 6, r), 2); /* past the last entry */
    datahub_set_meter_quality(hub, "abc", DPQ_INVALID | DPQ_NOT_TOPICAL, 0);
    meter(hub, "abc", "not_read");
    datahub_cycle_end(hub, "mbus:bus1", 2);
    CHECK_INT(read_regs(&st, 255, 3, 18, 1, r), 0);
    CHECK_INT(r[0], 3); /* not read, not all values current */
    CHECK_INT(read_regs(&st, 255, 3, 24, 2, r), 0);
    CHECK(r[0] == 0x449A && r[1] == 0x522B); /* the last value stays */
    datahub_free(hub);
    mbs_image_free(&st.img);
    modbus_server_config_free(c);
    cfg_free(root);

    c = parse("modbus_server:\n  tcp: {}\n  layout: {multi_slave: true, variant: float_only, swap: true,\n"
              "           meters: [{name: b, values: 2}, a]}\n", msg, sizeof msg, &root);
    CHECK_MSG(c != NULL, "%s", msg);
    if (!c) return;
    hub = datahub_new();
    st = (mbs_state){.cfg = c, .hub = hub};
    datahub_subscribe(hub, map_update, &st);
    publish(hub, "a/0", "a", 2.5, 25, -1, "m3");
    publish(hub, "b/0", "b", -1.0, -1, 0, "C");
    meter(hub, "a", "ok");
    meter(hub, "b", "ok");
    datahub_cycle_end(hub, "x", 1);
    CHECK_INT(read_regs(&st, 255, 3, 0, 1, r), 11); /* float only: no device entry → no unit 255 */
    CHECK_INT(read_regs(&st, 1, 3, 0, 6, r), 0);  /* b: serial, -1.0, reserved (0) */
    CHECK(r[0] == 0x614E && r[1] == 0x00BC && r[2] == 0x0000 && r[3] == 0xBF80);
    CHECK(r[4] == 0 && r[5] == 0);
    CHECK_INT(read_regs(&st, 1, 3, 6, 1, r), 2);
    CHECK_INT(read_regs(&st, 2, 3, 2, 2, r), 0); /* a: 2.5 swapped */
    CHECK(r[0] == 0x0000 && r[1] == 0x4020);
    CHECK_INT(read_regs(&st, 3, 3, 0, 1, r), 11);
    datahub_free(hub);
    mbs_image_free(&st.img);
    modbus_server_config_free(c);
    cfg_free(root);
    clock_use_real();
}

/* ---- live: gwd's server against libmodbus masters over TCP ------------------- */

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

/* libmodbus's client calls block; run them in a child process while the parent runs the loop. */
static void test_live_tcp(void) {
    int port = free_port();
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "modbus_server:\n  tcp: {port: %d, bind: 127.0.0.1}\n  groups:\n"
             "    - mappings: [{point: p/0, bank: holding, address: 100, format: float32}]\n", port);
    char msg[600];
    cfg_node *root;
    modbus_server_config *c = parse(yaml, msg, sizeof msg, &root);
    CHECK_MSG(c != NULL, "%s", msg);
    if (!c) return;
    gw_loop *loop = loop_new();
    datahub *hub = datahub_new();
    char err[256];
    modbus_server *srv = modbus_server_start(c, loop, hub, err, sizeof err);
    CHECK_MSG(srv != NULL, "%s", err);
    publish(hub, "p/0", "p", 1234.5678, 12345678, -4, "Wh");
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* two masters at once, each reads, then an unmapped read */
        modbus_t *a = modbus_new_tcp("127.0.0.1", port), *b = modbus_new_tcp("127.0.0.1", port);
        uint16_t ra[2] = {0}, rb[2] = {0};
        int ok = modbus_connect(a) == 0 && modbus_connect(b) == 0 &&
                 modbus_read_registers(a, 100, 2, ra) == 2 && modbus_read_registers(b, 100, 2, rb) == 2 &&
                 ra[0] == 0x449A && rb[1] == 0x522B && modbus_read_registers(a, 0, 1, ra) == -1 &&
                 errno == EMBXILADD && modbus_read_input_registers(b, 100, 2, rb) == -1 && errno == EMBXILADD;
        char verdict = ok ? 'y' : 'n';
        (void)!write(pipefd[1], &verdict, 1);
        modbus_close(a);
        modbus_close(b);
        modbus_free(a);
        modbus_free(b);
        _exit(0);
    }
    char verdict = 0;
    int64_t end = clock_mono_ns() + 5 * NS_PER_S;
    while (clock_mono_ns() < end && read(pipefd[0], &verdict, 0) >= 0) {
        loop_run_once(loop, 20 * NS_PER_MS);
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(pipefd[0], &fds);
        struct timeval tv = {0, 0};
        if (select(pipefd[0] + 1, &fds, NULL, NULL, &tv) > 0) {
            (void)!read(pipefd[0], &verdict, 1);
            break;
        }
    }
    CHECK_MSG(verdict == 'y', "verdict %c", verdict ? verdict : '-');
    waitpid(pid, NULL, 0);
    /* every byte was counted: 4 requests of 12 bytes, 2 answers of 13, 2 exceptions of 9 */
    uint64_t rx = 0, tx = 0;
    for (size_t i = 0; i < iochan_count(); i++) {
        rx += iochan_rx(iochan_at(i));
        tx += iochan_tx(iochan_at(i));
    }
    CHECK_INT(rx, 4 * 12);
    CHECK_INT(tx, 2 * (9 + 4) + 2 * 9);
    close(pipefd[0]);
    close(pipefd[1]);
    modbus_server_stop(srv);
    datahub_free(hub);
    loop_free(loop);
    modbus_server_config_free(c);
    cfg_free(root);
    iochan_registry_free();
}

int main(void) {
    test_config_errors();
    test_mappings();
    test_layout();
    test_live_tcp();
    return test_summary("test_modbus_server");
}
