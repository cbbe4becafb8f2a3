/* Modbus client: request planning (merging), and a live poll of a libmodbus
 * slave in a child process over TCP: values in several formats and byte orders,
 * an exception, a silent address → timeout, retries, not_read. */
#include <errno.h>
#include <modbus.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "core/iochan.h"
#include "core/loop.h"
#include "south/modbus/modbus_client_int.h"
#include "tests/test.h"

static modbus_client_config *parse(const char *yaml, char *msg, size_t cap, cfg_node **root) {
    cfg_err err = {{0}};
    *root = cfg_load_string(yaml, "t.yaml", &err);
    modbus_client_config *c = NULL;
    if (*root && !modbus_client_config_parse(cfg_get(*root, "modbus"), &c, &err)) c = NULL;
    snprintf(msg, cap, "%s", err.msg);
    return c;
}

static void test_plan(void) {
    const char *yaml =
        "modbus:\n  polling: {fast: 500ms}\n  devices:\n"
        "    - name: d\n      tcp: {host: 127.0.0.1}\n      registers:\n"
        "        - {id: a, address: 10, format: uint32}\n"
        "        - {id: b, address: 12, format: float32}\n"
        "        - {id: c, address: 20}\n"
        "        - {id: e, address: 14, bank: input}\n"
        "        - {id: f, address: 0, group: fast}\n"
        "        - {id: g, address: 0, bank: coils}\n"
        "        - {id: h, address: 1, bank: coils}\n";
    char msg[600];
    cfg_node *root;
    modbus_client_config *c = parse(yaml, msg, sizeof msg, &root);
    CHECK_MSG(c != NULL, "%s", msg);
    if (!c) return;
    CHECK_INT(c->interval_ns[MBC_FAST], 500 * NS_PER_MS);
    CHECK_INT(c->interval_ns[MBC_SLOW], 86400 * NS_PER_S);
    mbc_block b[8];
    const mbc_device *d = &c->devices[0];
    size_t n = mbc_plan(d, MBC_NORMAL, false, b, 8);
    CHECK_INT(n, 6);
    n = mbc_plan(d, MBC_NORMAL, true, b, 8);
    CHECK_INT(n, 4); /* coils 0-1, holding 10-13, holding 20, input 14 */
    CHECK(b[0].req.function == 1 && b[0].req.address == 0 && b[0].req.count == 2);
    CHECK(b[1].req.function == 3 && b[1].req.address == 10 && b[1].req.count == 4 && b[1].n == 2);
    CHECK(b[2].req.address == 20 && b[2].req.count == 1);
    CHECK(b[3].req.function == 4);
    n = mbc_plan(d, MBC_FAST, true, b, 8);
    CHECK(n == 1 && b[0].req.address == 0);
    modbus_client_config_free(c);
    cfg_free(root);
    static const struct { const char *yaml, *want; } bad[] = {
        {"modbus: {devices: [{name: d, registers: []}]}\n", "exactly one of tcp or rtu"},
        {"modbus: {devices: [{name: d, tcp: {host: h}, registers: [{id: a, address: 1, group: often}]}]}\n",
         "group must be slow, normal or fast"},
        {"modbus: {devices: [{name: d, tcp: {host: h}, registers: [{id: a, address: 1, bank: coils, format: int16}]}]}\n",
         "coils and discrete inputs are bool"},
        {"modbus: {devices: [{name: d, tcp: {host: h}, timeout: 0s, registers: []}]}\n", "timeout must be positive"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = parse(bad[i].yaml, msg, sizeof msg, &root);
        CHECK_MSG(!c && strstr(msg, bad[i].want) && !strncmp(msg, "t.yaml:1:", 9), "case %zu: %s", i, msg);
        modbus_client_config_free(c);
        cfg_free(root);
    }
}

/* A libmodbus slave: holding 0-9 set, input registers none (→ exception 2),
 * requests for holding 50 are never answered. Runs until killed. */
static void slave(int listen_fd) {
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", 0);
    modbus_mapping_t *map = modbus_mapping_new(0, 0, 10, 0);
    uint16_t init[10] = {0x00BC, 0x614E, 0x522B, 0x449A, 0xFFFE, 0, 0, 0, 0, 0};
    memcpy(map->tab_registers, init, sizeof init);
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) continue;
        modbus_set_socket(ctx, fd);
        uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
        int n;
        while ((n = modbus_receive(ctx, q)) > 0)
            if (!(q[7] == 3 && q[9] == 50)) modbus_reply(ctx, q, n, map);
        close(fd);
    }
}

static void test_live(void) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 4) == 0);
    getsockname(lfd, (struct sockaddr *)&a, &alen);
    pid_t pid = fork();
    if (pid == 0) slave(lfd);
    close(lfd);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "modbus:\n  optimize: true\n  devices:\n"
             "    - name: em\n      tcp: {host: 127.0.0.1, port: %d}\n      timeout: 200ms\n"
             "      serial: '12345678'\n      manufacturer: ABC\n      registers:\n"
             "        - {id: energy, address: 0, format: uint32, scale: 0.0001, unit: Wh}\n"
             "        - {id: float, address: 2, format: float32, byte_order: CDAB, unit: Wh, quantity: energy}\n"
             "        - {id: temp, address: 4, format: int16, scale: 0.5, unit: C}\n"
             "        - {id: missing, address: 7, bank: input}\n"
             "    - name: dead\n      tcp: {host: 127.0.0.1, port: %d}\n      timeout: 100ms\n"
             "      retries: 2\n      registers: [{id: x, address: 50}]\n",
             ntohs(a.sin_port), ntohs(a.sin_port));
    char msg[600];
    cfg_node *root;
    modbus_client_config *c = parse(yaml, msg, sizeof msg, &root);
    CHECK_MSG(c != NULL, "%s", msg);
    gw_loop *loop = loop_new();
    datahub *hub = datahub_new();
    char err[256];
    modbus_client *cl = c ? modbus_client_start(c, loop, hub, err, sizeof err) : NULL;
    CHECK_MSG(cl != NULL, "%s", err);
    int64_t end = clock_mono_ns() + 2 * NS_PER_S;
    while (cl && clock_mono_ns() < end) {
        loop_run_once(loop, 20 * NS_PER_MS);
        const dh_meter *m = datahub_get_meter(hub, "dead");
        if (m && strcmp(m->status, "not_read") == 0 && datahub_get(hub, "em/temp")) break;
    }
    const dp *p = datahub_get(hub, "em/energy");
    CHECK(p && fabs(p->value.d - 1234.5678) < 1e-9 && strcmp(p->unit, "Wh") == 0 && p->quality == 0);
    /* the origin: the register in Modbus terms; the quantity as configured, else the id */
    CHECK(p && p->origin.protocol == DP_PROTO_MODBUS && strcmp(p->origin.address, "holding 0 uint32 ABCD") == 0 &&
          strcmp(p->origin.quantity, "energy") == 0);
    p = datahub_get(hub, "em/float");
    CHECK(p && p->value.d == 1234.5677490234375);
    CHECK(p && strcmp(p->origin.address, "holding 2 float32 CDAB") == 0 && strcmp(p->origin.quantity, "energy") == 0);
    p = datahub_get(hub, "em/temp");
    CHECK(p && p->value.d == -1.0);
    CHECK(p && strcmp(p->origin.quantity, "temp") == 0);
    CHECK(datahub_get(hub, "em/missing") == NULL); /* exception 2: nothing published */
    const dh_meter *m = datahub_get_meter(hub, "em");
    CHECK(m && strcmp(m->status, "ok") == 0 && strcmp(m->interface, "modbus") == 0);
    m = datahub_get_meter(hub, "dead");
    CHECK(m && strcmp(m->status, "not_read") == 0);
    /* counted both ways on the channels */
    uint64_t tx = 0, rx = 0;
    for (size_t i = 0; i < iochan_count(); i++) {
        tx += iochan_tx(iochan_at(i));
        rx += iochan_rx(iochan_at(i));
    }
    CHECK(tx >= 5 * 12); /* em: 2 requests; dead: 3 attempts */
    CHECK_INT(rx, (9 + 10) + 9); /* holding 0-5 answer, exception */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    modbus_client_stop(cl);
    datahub_free(hub);
    loop_free(loop);
    modbus_client_config_free(c);
    cfg_free(root);
    iochan_registry_free();
}

int main(void) {
    test_plan();
    test_live();
    return test_summary("test_modbus_client");
}
