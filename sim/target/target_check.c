/* target_check: the wiring of a map file checked (see target_check.h). */
#define _XOPEN_SOURCE 700
#include "sim/target/target_check.h"
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "sim/target/target_map.h"
#include "sim/target/target_remote.h"

typedef struct tally {
    FILE *out;
    int passed, failed, skipped;
} tally;

static void verdict(tally *t, const char *what, const char *name, const char *detail) {
    fprintf(t->out, "%-5s %s %s: %s\n", what, "serial", name, detail);
    if (what[0] == 'P') t->passed++;
    else if (what[0] == 'F') t->failed++;
    else t->skipped++;
}

/* Bytes that are no M-Bus start (0x10, 0x68) nor an ACK (0xE5): a meter on the bus
 * cannot take them for a request. */
static const unsigned char pattern[] = {0x55, 0xAA, 0x00, 0xFF, 0x33, 0xCC, 0x0F, 0xF0,
                                        0x01, 0x80, 0x7E, 0x81, 0x42, 0x24, 0x99, 0x66};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Send the pattern and read until as many bytes came back or the wire time (11 bits a
 * byte) plus 300 ms have passed; how many bytes came back equal. */
static size_t loopback(int fd, unsigned baud) {
    unsigned char got[sizeof pattern];
    size_t n = 0;
    tcflush(fd, TCIOFLUSH);
    if (write(fd, pattern, sizeof pattern) != (ssize_t)sizeof pattern) return 0;
    long long deadline = now_ms() + (long long)sizeof pattern * 11 * 1000 / baud + 300;
    while (n < sizeof got) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        ssize_t r = read(fd, got + n, sizeof got - n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    size_t same = 0;
    while (same < n && got[same] == pattern[same]) same++;
    return same;
}

/* One speed: set and read back (target_serial_open), then the loopback if wired. */
static void check_baud(tally *t, const target_serial *s, unsigned baud) {
    char err[512], line[600];
    int fd = target_serial_open(s, baud, err, sizeof err);
    if (fd < 0) {
        verdict(t, "FAIL", s->name, err);
        return;
    }
    snprintf(line, sizeof line, "%s set to %u baud and read back", s->device, baud);
    verdict(t, "PASS", s->name, line);
    if (s->loopback) {
        size_t same = loopback(fd, baud);
        snprintf(line, sizeof line, "loopback at %u baud: %zu of %zu bytes came back unchanged", baud, same,
                 sizeof pattern);
        verdict(t, same == sizeof pattern ? "PASS" : "FAIL", s->name, line);
    }
    close(fd);
}

static void check_serial(tally *t, const target_serial *s) {
    static const unsigned mbus_bauds[] = {300, 2400, 9600};
    if (access(s->device, F_OK) != 0) {
        char line[300];
        snprintf(line, sizeof line, "%s is missing (adapter unplugged or named otherwise?)", s->device);
        verdict(t, "FAIL", s->name, line);
        return;
    }
    if (s->baud) {
        check_baud(t, s, s->baud);
    } else {
        for (size_t i = 0; i < sizeof mbus_bauds / sizeof mbus_bauds[0]; i++) check_baud(t, s, mbus_bauds[i]);
    }
    if (!s->loopback)
        verdict(t, "SKIP", s->name, "no loopback test (check: loopback in the map where the converter echoes)");
}

/* The device: SSH answers, the service is known, each target port exists. */
static void check_device(tally *t, const target_map *m) {
    char out[256], line[600];
    if (!m->ssh_host) {
        fprintf(t->out, "SKIP  device: no ssh in the map (config_mode: expect)\n");
        t->skipped++;
        return;
    }
    int rc = target_ssh(m, NULL, out, sizeof out, "systemctl cat %s >/dev/null 2>&1 && echo known", m->service);
    out[strcspn(out, "\n")] = '\0';
    snprintf(line, sizeof line, "ssh %s@%s:%u %s, service %s %s", m->ssh_user, m->ssh_host, m->ssh_port,
             rc == 255 || rc < 0 ? "does not answer" : "answers", m->service,
             strcmp(out, "known") == 0 ? "known" : "unknown");
    bool ok = rc == 0 && strcmp(out, "known") == 0;
    fprintf(t->out, "%-5s device: %s\n", ok ? "PASS" : "FAIL", line);
    if (ok) t->passed++;
    else t->failed++;
    for (size_t i = 0; ok && i < m->n_serial; i++) {
        rc = target_ssh(m, NULL, NULL, 0, "test -c '%s'", m->serial[i].target);
        snprintf(line, sizeof line, "the device's port %s %s", m->serial[i].target,
                 rc == 0 ? "exists" : "is missing (not a character device)");
        verdict(t, rc == 0 ? "PASS" : "FAIL", m->serial[i].name, line);
    }
}

int target_check_main(int argc, char **argv, FILE *out) {
    if (argc != 2) {
        fputs("usage: hil target-check MAP\n", stderr);
        return 2;
    }
    cfg_err err;
    target_map *m = target_map_load(argv[1], &err);
    if (!m) {
        fprintf(out, "ERROR %s\ntarget-check: 0 passed, 1 failed, 0 skipped\n", err.msg);
        return 1;
    }
    tally t = {.out = out};
    if (m->n_serial == 0) {
        fprintf(out, "FAIL  serial: the map wires no serial segment\n");
        t.failed++;
    }
    for (size_t i = 0; i < m->n_serial; i++) check_serial(&t, &m->serial[i]);
    check_device(&t, m);
    target_ssh_close(m);
    target_map_free(m);
    fprintf(out, "target-check: %d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
    return t.failed ? 1 : 0;
}
