/* config_preflight: the start's side effects, tried ahead (see config_preflight.h). */
#include "tools/config_preflight.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "north/iec104/iec104_int.h"
#include "north/modbus/modbus_server_int.h"
#include "south/serial/serial_port.h"

/* mkdir -p, as the start does for the store and the report folders. */
static bool make_dirs(const char *dir, char *why, size_t cap) {
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(why, cap, "cannot create %s: %s", path, strerror(errno));
            return false;
        }
        if (end)
            return true;
        *p = '/';
    }
}

/* Create and remove a file in dir: access(2) says yes to root on a read-only
 * mount, and only a real file shows that SQLite's journal files will fit. */
static bool dir_writable(const char *dir, char *why, size_t cap) {
    struct stat st;
    if (!make_dirs(dir, why, cap))
        return false;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, cap, "%s is not a directory", dir);
        return false;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.gwd-check-XXXXXX", dir);
    int fd = mkstemp(probe);
    if (fd < 0) {
        snprintf(why, cap, "cannot write in %s: %s", dir, strerror(errno));
        return false;
    }
    close(fd);
    unlink(probe);
    return true;
}

/* The store: an existing database must open read-write, a new one be creatable. */
static bool store_ok(const cfg_node *node, cfg_err *err) {
    const char *path = node->scalar;
    char why[4400];
    if (access(path, F_OK) == 0) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        return cfg_fail(err, node, "store %s: %s", path, strerror(errno));
    }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    if (!dir_writable(dir, why, sizeof why))
        return cfg_fail(err, node, "store %s: %s", path, why);
    return true;
}

static bool folder_ok(const cfg_node *node, const char *what, cfg_err *err) {
    char why[4400];
    if (!node || node->kind != CFG_SCALAR || dir_writable(node->scalar, why, sizeof why))
        return true;
    return cfg_fail(err, node, "%s: %s", what, why);
}

static bool file_readable(const cfg_node *node, const char *what, cfg_err *err) {
    if (!node || node->kind != CFG_SCALAR)
        return true;
    int fd = open(node->scalar, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cfg_fail(err, node, "%s: cannot read %s: %s", what, node->scalar, strerror(errno));
    close(fd);
    return true;
}

/* Legacy reports.dir, every file transport's dir, the TLS files of MQTT and HTTP. */
static bool reports_ok(const cfg_node *reports, cfg_err *err) {
    if (!folder_ok(cfg_get(reports, "dir"), "reports.dir", err))
        return false;
    const cfg_node *list = cfg_get(reports, "instances");
    for (size_t i = 0; list && list->kind == CFG_SEQ && i < list->n; i++) {
        const cfg_node *tr = cfg_get(list->items[i], "transport");
        const cfg_node *tls = cfg_get(cfg_get(tr, "mqtt"), "tls");
        if (!folder_ok(cfg_get(cfg_get(tr, "file"), "dir"), "transport.file.dir", err) ||
            !file_readable(cfg_get(tls, "ca_file"), "ca_file", err) ||
            !file_readable(cfg_get(tls, "cert_file"), "cert_file", err) ||
            !file_readable(cfg_get(tls, "key_file"), "key_file", err) ||
            !file_readable(cfg_get(cfg_get(tr, "http"), "ca_file"), "ca_file", err))
            return false;
    }
    return true;
}

static bool devices_ok(const cfg_node *section, const mbus_config *mbus, cfg_err *err) {
    char why[512];
    for (size_t i = 0; mbus && i < mbus->n_segments; i++)
        if (serial_probe(mbus->segments[i].device, why, sizeof why) != 0)
            return cfg_fail(err, cfg_get(section->items[i], "device"), "%s", why);
    return true;
}

/* Bind and release, with SO_REUSEADDR like the servers; 0 = any port, always fine. */
static bool bindable(const char *bind_ip, long long port, char *why, size_t cap) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port == 0 || inet_pton(AF_INET, bind_ip, &addr.sin_addr) != 1)
        return true; /* a bad address is the server's own error, at start */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
              bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (!ok)
        snprintf(why, cap, "%s", strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

static const cfg_node *port_node(const cfg_node *section) {
    const cfg_node *port = cfg_get(section, "port");
    return port ? port : section;
}

static bool ports_ok(const cfg_node *root, const gw_sections *s, cfg_err *err) {
    char why[256];
    if (s->iec104 && !bindable(s->iec104->bind, s->iec104->port, why, sizeof why))
        return cfg_fail(err, port_node(cfg_get(root, "iec104")), "iec104: cannot bind %s:%d: %s",
                        s->iec104->bind, s->iec104->port, why);
    const modbus_server_config *m = s->modbus_srv_cfg;
    if (m && m->tcp && !bindable(m->bind, m->port, why, sizeof why))
        return cfg_fail(err, port_node(cfg_get(cfg_get(root, "modbus_server"), "tcp")),
                        "modbus_server: tcp %s:%lld: %s", m->bind, m->port, why);
    return true;
}

bool gw_preflight(const cfg_node *root, const gw_sections *s, cfg_err *err) {
    const cfg_node *store = cfg_get(cfg_get(root, "gateway"), "store");
    return (!store || store->kind != CFG_SCALAR || store_ok(store, err)) &&
           reports_ok(cfg_get(root, "reports"), err) && devices_ok(cfg_get(root, "mbus"), s->mbus, err) &&
           ports_ok(root, s, err);
}
