/* Transparent M-Bus: the `transparent:` key of a segment (defaults, errors with
 * their position), and that a segment with it listens on its port (the lock
 * and the traffic are shown by scenarios/mbus_tcp/transparent_lock.yaml). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "core/loop.h"
#include "south/mbus/mbus_config.h"
#include "south/mbus/mbus_master.h"
#include "tests/test.h"

static mbus_config *parse(const char *yaml, cfg_err *err) {
    cfg_node *root = cfg_load_string(yaml, "t.yaml", err);
    if (!root)
        return NULL;
    mbus_config *c = mbus_config_parse(cfg_get(root, "mbus"), err);
    cfg_free(root);
    return c;
}

static void test_config(void) {
    cfg_err err;
    mbus_config *c = parse("mbus:\n  - name: bus1\n    device: /dev/null\n"
                           "    transparent: {port: 10001}\n    meters: [{name: m, primary: 1}]\n",
                           &err);
    CHECK(c != NULL);
    if (c) {
        const mbus_transparent_cfg *t = &c->segments[0].transparent;
        CHECK(t->enabled);
        CHECK_INT(t->port, 10001);
        CHECK_STR(t->bind, "0.0.0.0");
        CHECK_INT(t->idle_timeout_ns, 30 * NS_PER_S);
        CHECK_INT(t->packing, MBUS_PACK_MBUS);
        CHECK_INT(t->packing_interval_ns, 50 * NS_PER_MS);
    }
    mbus_config_free(c);
    c = parse("mbus:\n  - name: bus1\n    device: /dev/null\n"
              "    transparent: {port: 10001, packing: frames}\n", &err);
    CHECK(c == NULL);
    CHECK_MSG(strstr(err.msg, "t.yaml:4:") && strstr(err.msg, "packing must be mbus or raw"), "%s",
              err.msg);
    c = parse("mbus:\n  - name: bus1\n    device: /dev/null\n    transparent: {bind: 127.0.0.1}\n",
              &err);
    CHECK(c == NULL);
    CHECK_MSG(strstr(err.msg, "port") != NULL, "%s", err.msg);
    c = parse("mbus:\n  - name: bus1\n    device: /dev/null\n    transparent: {port: 1, idle: 3s}\n",
              &err);
    CHECK(c == NULL);
}

/* The segment listens on its transparent port: a client connects. */
static void test_listens(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    int port = ntohs(a.sin_port);
    char yaml[300];
    snprintf(yaml, sizeof yaml,
             "mbus:\n  - name: bus1\n    device: /dev/ptmx\n    interval: 1h\n"
             "    transparent: {port: %d, bind: 127.0.0.1}\n    meters: [{name: m, primary: 1}]\n",
             port);
    cfg_err err;
    mbus_config *c = parse(yaml, &err);
    CHECK_MSG(c != NULL, "%s", err.msg);
    gw_loop *loop = loop_new();
    datahub *hub = datahub_new();
    char msg[256] = "";
    mbus_master *m = c ? mbus_master_start(c, loop, hub, msg, sizeof msg) : NULL;
    CHECK_MSG(m != NULL, "%s", msg);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(cfd >= 0 && connect(cfd, (struct sockaddr *)&a, sizeof a) == 0);
    close(cfd);
    /* the port is taken: a second master on it fails with the reason */
    mbus_master *m2 = c ? mbus_master_start(c, loop, hub, msg, sizeof msg) : NULL;
    CHECK(m2 == NULL);
    CHECK_MSG(strstr(msg, "transparent") != NULL, "%s", msg);
    mbus_master_stop(m);
    datahub_free(hub);
    loop_free(loop);
    mbus_config_free(c);
}

int main(void) {
    test_config();
    test_listens();
    return test_summary("test_mbus_transparent");
}
