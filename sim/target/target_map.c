/* target_map: the map file of target mode and the mapped serial devices (see target_map.h). */
#include "sim/target/target_map.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "sim/core/wire.h"

static bool parse_baud(const cfg_node *map, unsigned *out, cfg_err *err) {
    long long b;
    if (!cfg_int(map, "baud", 0, 0, 4000000, &b, err)) return false;
    if (b != 0 && wire_speed_from_baud((unsigned)b) == (unsigned)-1)
        return cfg_fail(err, cfg_get(map, "baud"), "baud %lld is not a standard serial speed", b);
    *out = (unsigned)b;
    return true;
}

static bool parse_serial(target_map *m, const cfg_node *sec, cfg_err *err) {
    static const char *const keys[] = {"device", "target", "baud", "check", NULL};
    const char *check;
    if (!sec) return true;
    if (sec->kind != CFG_MAP) return cfg_fail(err, sec, "serial must be a map: segment -> {device, target, baud}");
    m->serial = calloc(sec->n ? sec->n : 1, sizeof *m->serial);
    if (!m->serial) return cfg_fail(err, sec, "out of memory");
    for (size_t i = 0; i < sec->n; i++) {
        const cfg_node *e = sec->items[i];
        target_serial *s = &m->serial[m->n_serial];
        s->name = sec->keys[i];
        if (e->kind != CFG_MAP) return cfg_fail(err, e, "serial %s must be a map {device, target, baud}", s->name);
        if (!cfg_only_keys(e, keys, err) || !cfg_require(e, "device", CFG_SCALAR, err) ||
            !cfg_str(e, "device", NULL, &s->device, err) ||
            !cfg_str(e, "target", s->device, &s->target, err) || !parse_baud(e, &s->baud, err) ||
            !cfg_str(e, "check", "none", &check, err))
            return false;
        if (strcmp(check, "none") != 0 && strcmp(check, "loopback") != 0)
            return cfg_fail(err, cfg_get(e, "check"), "check must be none or loopback");
        s->loopback = strcmp(check, "loopback") == 0;
        m->n_serial++;
    }
    return true;
}

static bool parse_ports(target_map *m, const cfg_node *sec, cfg_err *err) {
    static const char *const keys[] = {"proto", "gateway", "reach", NULL};
    if (!sec) return true;
    if (sec->kind != CFG_SEQ) return cfg_fail(err, sec, "ports must be a list of {proto, gateway, reach}");
    m->ports = calloc(sec->n ? sec->n : 1, sizeof *m->ports);
    if (!m->ports) return cfg_fail(err, sec, "out of memory");
    for (size_t i = 0; i < sec->n; i++) {
        const cfg_node *e = sec->items[i];
        target_port *p = &m->ports[m->n_ports];
        long long g, r;
        if (e->kind != CFG_MAP) return cfg_fail(err, e, "a port must be a map {proto, gateway, reach}");
        if (!cfg_only_keys(e, keys, err) || !cfg_str(e, "proto", "tcp", &p->proto, err) ||
            !cfg_require(e, "gateway", CFG_SCALAR, err) ||
            !cfg_int(e, "gateway", 0, 1, 65535, &g, err) || !cfg_int(e, "reach", g, 1, 65535, &r, err))
            return false;
        if (strcmp(p->proto, "tcp") != 0 && strcmp(p->proto, "udp") != 0)
            return cfg_fail(err, cfg_get(e, "proto"), "proto must be tcp or udp");
        p->gateway = (unsigned)g;
        p->reach = (unsigned)r;
        m->n_ports++;
    }
    return true;
}

static bool parse_device(target_map *m, const cfg_node *sec, cfg_err *err) {
    static const char *const keys[] = {"ssh", "config", "config_mode", "config_owner", "service",
                                       "workdir", "files", "address", NULL};
    static const char *const ssh_keys[] = {"host", "port", "user", "key", NULL};
    const char *mode, *files;
    long long port;
    if (!sec || sec->kind != CFG_MAP) return cfg_fail(err, sec ? sec : m->root, "device must be a map (ssh, config, ...)");
    const cfg_node *ssh = cfg_get(sec, "ssh");
    if (ssh && ssh->kind != CFG_MAP) return cfg_fail(err, ssh, "ssh must be a map {host, port, user, key}");
    if (!cfg_only_keys(sec, keys, err) || (ssh && !cfg_only_keys(ssh, ssh_keys, err)) ||
        !cfg_str(ssh, "host", NULL, &m->ssh_host, err) || !cfg_int(ssh, "port", 22, 1, 65535, &port, err) ||
        !cfg_str(ssh, "user", "root", &m->ssh_user, err) || !cfg_str(ssh, "key", NULL, &m->ssh_key, err) ||
        !cfg_str(sec, "config", "/etc/gwd/gwd.yaml", &m->config, err) ||
        !cfg_str(sec, "config_mode", "push", &mode, err) ||
        !cfg_str(sec, "config_owner", "gwd:gwd", &m->config_owner, err) ||
        !cfg_str(sec, "service", "gwd", &m->service, err) ||
        !cfg_str(sec, "workdir", "/var/lib/gwd/hil", &m->workdir, err) ||
        !cfg_str(sec, "files", "ssh", &files, err) ||
        !cfg_str(sec, "address", m->ssh_host ? m->ssh_host : "127.0.0.1", &m->address, err))
        return false;
    m->ssh_port = (unsigned)port;
    if (strcmp(mode, "push") != 0 && strcmp(mode, "expect") != 0)
        return cfg_fail(err, cfg_get(sec, "config_mode"), "config_mode must be push or expect");
    m->config_push = strcmp(mode, "push") == 0;
    m->files_dir = strcmp(files, "ssh") == 0 ? NULL : files;
    if (!m->ssh_host && (m->config_push || !m->files_dir))
        return cfg_fail(err, sec, "device needs ssh: {host: ...} to push the configuration or fetch files "
                                  "(or config_mode: expect with files: <mounted directory>)");
    if (m->workdir[0] != '/') return cfg_fail(err, cfg_get(sec, "workdir"), "workdir must be an absolute path on the device");
    return true;
}

target_map *target_map_load(const char *path, cfg_err *err) {
    static const char *const keys[] = {"device", "serial", "ports", "timing_tolerance", "settle",
                                       "max_duration", "cycle_quiet", NULL};
    target_map *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err->msg, sizeof err->msg, "%s:1:1: out of memory", path);
        return NULL;
    }
    m->path = path;
    err->msg[0] = '\0';
    m->root = cfg_load_file(path, err);
    bool ok = m->root != NULL;
    if (!ok && !err->msg[0]) snprintf(err->msg, sizeof err->msg, "%s:1:1: cannot read the map file", path);
    if (ok && m->root->kind != CFG_MAP) ok = cfg_fail(err, m->root, "a map file is a map (device, serial, ports, ...)");
    ok = ok && cfg_only_keys(m->root, keys, err) && parse_device(m, cfg_get(m->root, "device"), err) &&
         parse_serial(m, cfg_get(m->root, "serial"), err) && parse_ports(m, cfg_get(m->root, "ports"), err) &&
         cfg_duration_ns(m->root, "timing_tolerance", 10000000LL, &m->timing_tolerance_ns, err) &&
         cfg_duration_ns(m->root, "settle", 3000000000LL, &m->settle_ns, err) &&
         cfg_duration_ns(m->root, "max_duration", 120000000000LL, &m->max_duration_ns, err) &&
         cfg_duration_ns(m->root, "cycle_quiet", 2000000000LL, &m->cycle_quiet_ns, err);
    if (!ok) {
        target_map_free(m);
        return NULL;
    }
    return m;
}

void target_map_free(target_map *m) {
    if (!m) return;
    free(m->serial);
    free(m->ports);
    cfg_free(m->root);
    free(m);
}

const target_serial *target_map_serial(const target_map *m, const char *segment) {
    for (size_t i = 0; i < m->n_serial; i++)
        if (strcmp(m->serial[i].name, segment) == 0) return &m->serial[i];
    return NULL;
}

unsigned target_map_port(const target_map *m, const char *proto, unsigned gateway_port) {
    for (size_t i = 0; i < m->n_ports; i++)
        if (m->ports[i].gateway == gateway_port && strcmp(m->ports[i].proto, proto) == 0)
            return m->ports[i].reach;
    return gateway_port;
}

/* Raw 8 data bits at the scenario's speed; CLOCAL because a USB adapter (or a pty whose
 * other end is an emulator) has no modem lines to wait for. */
static int set_line(int fd, unsigned speed) {
    struct termios tio;
    if (tcgetattr(fd, &tio) < 0) return -1;
    cfmakeraw(&tio);
    tio.c_cflag |= CREAD | CLOCAL;
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, speed);
    cfsetospeed(&tio, speed);
    return tcsetattr(fd, TCSANOW, &tio);
}

int target_serial_open(const target_serial *s, unsigned scenario_baud, char *err, size_t errlen) {
    if (s->baud && s->baud != scenario_baud) {
        snprintf(err, errlen, "serial %s: the map pins %s to %u baud, the scenario runs the segment at %u baud",
                 s->name, s->device, s->baud, scenario_baud);
        return -1;
    }
    int fd = open(s->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "serial %s: mapped device %s is missing or cannot be opened: %s", s->name,
                 s->device, strerror(errno));
        return -1;
    }
    if (!isatty(fd)) {
        snprintf(err, errlen, "serial %s: mapped device %s is not a tty", s->name, s->device);
        close(fd);
        return -1;
    }
    unsigned speed = wire_speed_from_baud(scenario_baud);
    if (speed == (unsigned)-1 || set_line(fd, speed) < 0) {
        snprintf(err, errlen, "serial %s: cannot set %s to %u baud: %s", s->name, s->device, scenario_baud,
                 speed == (unsigned)-1 ? "not a standard speed" : strerror(errno));
        close(fd);
        return -1;
    }
    /* Read back: a driver (or a locked termios) may keep another speed without an error. */
    struct termios tio;
    unsigned now = tcgetattr(fd, &tio) == 0 ? wire_baud_from_speed(cfgetospeed(&tio)) : 0;
    if (now != scenario_baud) {
        snprintf(err, errlen, "serial %s: baud of %s is %u after setting it, the scenario needs %u", s->name,
                 s->device, now, scenario_baud);
        close(fd);
        return -1;
    }
    return fd;
}
