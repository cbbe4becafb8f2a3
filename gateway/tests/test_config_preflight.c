/* config_preflight and the no-op check: what --check-config finds before the
 * start would (unwritable store, missing port, port in use, empty file). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "tools/config_check.h"
#include "tools/config_preflight.h"
#include "tests/test.h"

static char pty_path[128];

/* Parse text as gwd does and run the preflight; returns the error ("" = fine). */
static const char *check(const char *text) {
    static cfg_err err;
    err.msg[0] = '\0';
    cfg_node *root = cfg_load_string(text, "gw.yaml", &err);
    gw_sections s = {0};
    if (root && gw_sections_parse(root, "gwd", &s, &err) && gw_preflight(root, &s, &err))
        err.msg[0] = '\0';
    gw_sections_free(&s);
    cfg_free(root);
    return err.msg;
}

static char *with_pty(const char *fmt, const char *arg) {
    static char text[1024];
    snprintf(text, sizeof text, fmt, pty_path, arg);
    return text;
}

static void test_does_nothing(void) {
    const char *msg = check("");
    CHECK_MSG(strstr(msg, "gw.yaml:1:1: this configuration does nothing: it has no bus") == msg,
              "%s", msg);
    CHECK(strstr(msg, "a minimal one is `mbus: [{name: bus1, device: /dev/ttyUSB0") != NULL);
    msg = check("gateway: {name: x, store: /tmp/x.db}\nreports: {dir: /tmp}\n");
    CHECK_MSG(strstr(msg, "gw.yaml:1:1: this configuration does nothing") == msg, "%s", msg);
    /* a server alone answers masters (its own counters at least): not a no-op */
    CHECK_STR(check("iec104: {port: 0, bind: 127.0.0.1}\n"), "");
}

static void test_store(const char *dir) {
    CHECK_STR(check(with_pty("gateway: {store: /proc/nope/gw.db}\nmbus: [{name: b, device: %s, meters: []}]\n", "")),
              "gw.yaml:1:18: store /proc/nope/gw.db: cannot create /proc/nope: No such file or directory");
    char text[1024], path[512];
    snprintf(path, sizeof path, "%s/var/sub/gw.db", dir);
    snprintf(text, sizeof text, "gateway: {store: %s}\nmbus: [{name: b, device: %s, meters: []}]\n", path,
             pty_path);
    CHECK_STR(check(text), "");
    struct stat st;
    snprintf(path, sizeof path, "%s/var/sub", dir);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode)); /* created, as the start does */
    /* a file where the folder should be */
    snprintf(path, sizeof path, "%s/plain", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    snprintf(text, sizeof text, "gateway: {store: %s/plain/gw.db}\nmbus: [{name: b, device: %s, meters: []}]\n",
             dir, pty_path);
    const char *msg = check(text);
    CHECK_MSG(strstr(msg, "gw.yaml:1:18: store ") == msg && strstr(msg, "/plain is not a directory"), "%s", msg);
}

static void test_reports_and_files(void) {
    const char *msg = check(with_pty("mbus: [{name: b, device: %s, meters: []}]\n"
                                     "reports: {instances: [{name: a, format: json, transport: "
                                     "{mqtt: {host: h, topic: t, tls: {ca_file: /nonexistent/ca.pem}}}}]}\n",
                                     ""));
    CHECK_MSG(strstr(msg, "gw.yaml:2:") == msg &&
                  strstr(msg, "ca_file: cannot read /nonexistent/ca.pem: No such file or directory"),
              "%s", msg);
}

static void test_devices(void) {
    CHECK_STR(check("mbus: [{name: b, device: /nonexistent/tty, meters: []}]\n"),
              "gw.yaml:1:26: /nonexistent/tty: No such file or directory");
    CHECK_STR(check("mbus: [{name: b, device: /dev/null, meters: []}]\n"),
              "gw.yaml:1:26: /dev/null: not a serial port: Inappropriate ioctl for device");
    CHECK_STR(check(with_pty("mbus: [{name: b, device: %s, meters: []}]\n", "")), "");
}

static void test_port_in_use(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    char text[256], want[256];
    int port = ntohs(a.sin_port);
    snprintf(text, sizeof text, "iec104: {bind: 127.0.0.1, port: %d}\n", port);
    snprintf(want, sizeof want, "gw.yaml:1:33: iec104: cannot bind 127.0.0.1:%d: Address already in use", port);
    CHECK_STR(check(text), want);
    snprintf(text, sizeof text, "modbus_server: {tcp: {bind: 127.0.0.1, port: %d}, layout: {variant: standard}}\n", port);
    snprintf(want, sizeof want, "gw.yaml:1:46: modbus_server: tcp 127.0.0.1:%d: Address already in use", port);
    CHECK_STR(check(text), want);
    close(fd);
    snprintf(text, sizeof text, "iec104: {bind: 127.0.0.1, port: %d}\n", port);
    CHECK_STR(check(text), ""); /* released: bindable again */
}

int main(void) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 || !ptsname(master)) {
        perror("posix_openpt");
        return 1;
    }
    snprintf(pty_path, sizeof pty_path, "%s", ptsname(master));
    char dir[] = "/tmp/test_preflight_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_does_nothing();
    test_store(dir);
    test_reports_and_files();
    test_devices();
    test_port_in_use();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    close(master);
    return test_summary("test_config_preflight");
}
