/* libFuzzer target for the IEC 104 server as a master meets it: the input is
 * the whole byte stream of one TCP session. The server's real connection state
 * machine (iec104_conn.c, iec104_app.c) runs on one end of a socket pair in the
 * core event loop, in virtual time: the bytes arrive, everything the server
 * wants to say is read back, then time runs on past t2, t3 and t1 so the
 * acknowledgement, test and time-out paths run too, and the master hangs up.
 * Every connection must end freed (ASan's leak check) and never crash. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "tests/fuzz_fixture.h"
#include "north/iec104/iec104_int.h"
#include "core/log.h"
#include "core/loop.h"

static const char config_text[] =
    "iec104:\n"
    "  port: 0\n"
    "  bind: 127.0.0.1\n"
    "  initial_poll: asynchronous\n"
    "  timestamps: true\n"
    "  k: 4\n"
    "  w: 2\n"
    "  queue: 64\n"
    "  offline_buffer: 16\n"
    "  select_timeout: 2s\n"
    "  direct_commands: true\n"
    "  mapping:\n"
    "    - group: 1\n"
    "      points:\n"
    "        - {type: M_ME_NC_1, point: m/0, ioa: 1001}\n"
    "        - {type: M_ME_NA_1, point: m/1, ioa: 1002, scaling: 0.001}\n"
    "        - {type: M_SP_TB_1, point: m/2, ioa: 1003}\n"
    "        - {type: M_DP_NA_1, point: m/3, ioa: 1004}\n"
    "    - group: 2\n"
    "      points:\n"
    "        - {type: M_IT_NA_1, point: m/4, ioa: 2001}\n"
    "        - {type: M_ME_NB_1, point: m/5, ioa: 2002, push: deadband, deadband: 1}\n"
    "    - points:\n"
    "        - {type: C_SC_NA_1, point: valve1, ioa: 5000}\n"
    "        - {type: C_DC_NA_1, point: breaker1, ioa: 5001}\n";

static gw_loop *loop;
static datahub *hub;
static cfg_node *root;
static iec104_config *cfg;
static iec104_server *srv;


static void setup(void) {
    cfg_err err = {{0}};
    char why[256] = "";
    log_set_level(LOG_LVL_ERROR);
    signal(SIGPIPE, SIG_IGN); /* as gwd does: a closed peer is EPIPE */
    clock_use_virtual(1767225600000000000LL);
    loop = loop_new();
    hub = datahub_new();
    root = cfg_load_string(config_text, "fuzz.yaml", &err);
    cfg = root ? iec104_config_parse(cfg_get(root, "iec104"), &err) : NULL;
    if (!loop || !hub || !cfg) {
        fprintf(stderr, "fuzz_iec104 setup: %s\n", err.msg);
        abort();
    }
    fuzz_publish(hub, NULL, "m/0", DP_DOUBLE, 12.5);
    fuzz_publish(hub, NULL, "m/1", DP_DOUBLE, 0.25);
    fuzz_publish(hub, NULL, "m/2", DP_BOOL, 1);
    fuzz_publish(hub, NULL, "m/3", DP_BOOL, 0);
    fuzz_publish(hub, NULL, "m/4", DP_INT, 123456);
    fuzz_publish(hub, NULL, "m/5", DP_INT, 17);
    srv = iec104_server_start(cfg, loop, hub, why, sizeof why);
    if (!srv) {
        fprintf(stderr, "fuzz_iec104 setup: %s\n", why);
        abort();
    }
}

static void drain(int fd) {
    uint8_t buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static void run(int peer) {
    for (int i = 0; i < 32 && srv->n_sessions > 0; i++) {
        if (loop_run_once(loop, 0) <= 0)
            break;
        drain(peer);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!srv)
        setup();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    if (!iec104_server_adopt(srv, sv[0], "127.0.0.1", 40000))
        abort();
    /* the master's bytes, in two writes so a frame may straddle reads */
    size_t half = size / 2;
    /* the server may have closed already (EPIPE): the master's write is lost */
    if (write(sv[1], data, half) < 0 && srv->n_sessions > 0)
        abort();
    run(sv[1]);
    if (srv->n_sessions > 0 && write(sv[1], data + half, size - half) < 0)
        abort();
    run(sv[1]);
    /* time passes: t2 (10 s), t3 (20 s), t1 (15 s after a test frame) */
    for (int step = 0; step < 8 && srv->n_sessions > 0; step++) {
        clock_virtual_advance(clock_mono_ns() + 6 * 1000000000LL);
        run(sv[1]);
    }
    close(sv[1]);
    run(sv[1]);
    if (srv->n_sessions > 0)
        iec104_server_drop(srv->sessions[0]);
    if (srv->n_sessions != 0)
        abort();
    return 0;
}
