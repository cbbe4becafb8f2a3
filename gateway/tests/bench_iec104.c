/* bench_iec104: throughput and latency of the IEC 104 server (make bench).
 *
 * One master (a child process, like a SCADA master: TCP_NODELAY, blocking
 * reads, STARTDT, an S frame as soon as w I frames have arrived — never for
 * frames it has not read) and 10,000 mapped M_ME_NC_1 points (push: always)
 * updated continuously through the datahub. For each window (k, w) it reports
 *   - spontaneous ASDUs per second written to the master's socket while the
 *     publisher keeps the per-master queue (bounded, `queue`) filled; the
 *     server's loop blocks in poll() between turns, as gwd's does;
 *   - the loopback bound: with k < 2w the master's next S frame needs the
 *     server's answer to its previous one, so at most w ASDUs travel per round
 *     trip. The same two-process exchange (w APDUs' bytes out in one write
 *     from an event-loop callback, 6 bytes back from a blocking reader) is
 *     timed without IEC 104 right before, and w / RTT is printed next to the
 *     measured rate;
 *   - objects dropped by the bounded queue in an unthrottled burst;
 *   - latency from datahub_publish() to the APDU written to the socket, with an
 *     empty queue (median, 99th percentile and maximum of 2000 samples).
 * The machine's load average is printed: the machine may be shared.
 * Usage: bench_iec104 [seconds] [k w]...   (default: 3 s, k=12 w=8 and k=100 w=66) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "north/iec104/iec104_int.h"
#include "core/log.h"
#include "core/loop.h"

#define POINTS 10000
#define APDU_LEN 20 /* M_ME_NC_1, one object: APCI 6 + DUI 6 + IOA 3 + float 4 + QDS 1 */
#define SAMPLES 2000
#define MAX_RUNS 8

static char point_ids[POINTS][16];

static char *make_config(int k, int w) {
    size_t cap = 200 + POINTS * 80;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap,
                                "port: 0\nbind: 127.0.0.1\ninitial_poll: asynchronous\nk: %d\nw: %d\n"
                                "queue: 20000\nmapping:\n  - points:\n", k, w);
    for (int i = 0; i < POINTS; i++)
        n += (size_t)snprintf(text + n, cap - n,
                              "      - {type: M_ME_NC_1, point: %s, ioa: %d, push: always}\n",
                              point_ids[i], 1000 + i);
    return text;
}

/* A child's connection to the parent's loopback port, as a SCADA master opens it. */
static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        _exit(1);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* The master: blocking reads, S frame after w I frames; exits at EOF, with
 * status 2 when the server broke the window (more than k I frames not yet
 * acknowledged) or the sequence (N(S) not the next expected). */
static void run_master(int port, int k, int w) {
    int fd = connect_loopback(port);
    uint8_t f[6], buf[65536];
    if (write(fd, f, iec104_encode_u(f, IEC104_U_STARTDT_ACT)) != 6)
        _exit(1);
    size_t have = 0;
    unsigned vr = 0, unacked = 0, acked = 0; /* acked: N(R) of our last S frame */
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            _exit(0);
        have += (size_t)n;
        /* What this read returned was sent before the server could see an S frame
         * written while parsing it: every N(S) in it lies below base + k. */
        unsigned base = acked;
        size_t off = 0;
        while (have - off >= 2 && have - off >= (size_t)buf[off + 1] + 2) {
            if ((buf[off + 2] & 1) == 0) {
                unsigned ns = (unsigned)(buf[off + 2] >> 1 | buf[off + 3] << 7);
                if (ns != vr || (ns - base + IEC104_SEQ_MOD) % IEC104_SEQ_MOD >= (unsigned)k)
                    _exit(2);
                vr = (vr + 1) % IEC104_SEQ_MOD;
                if (++unacked >= (unsigned)w) {
                    if (write(fd, f, iec104_encode_s(f, (uint16_t)vr)) != 6)
                        _exit(1);
                    unacked = 0;
                    acked = vr;
                }
            }
            off += (size_t)buf[off + 1] + 2;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
}

/* ---- the loopback reference: the same exchange without IEC 104 ---- */

/* The child: read a whole burst (blocking), answer with 6 bytes; exits at EOF. */
static void run_pong(int port, size_t burst) {
    int fd = connect_loopback(port);
    uint8_t buf[65536], ack[6] = {0x68, 4, 1, 0, 0, 0};
    for (;;) {
        size_t have = 0;
        while (have < burst) {
            ssize_t n = read(fd, buf, burst - have < sizeof buf ? burst - have : sizeof buf);
            if (n <= 0)
                _exit(0);
            have += (size_t)n;
        }
        if (write(fd, ack, sizeof ack) != (ssize_t)sizeof ack)
            _exit(1);
    }
}

typedef struct pingpong {
    gw_loop *loop;
    int fd;
    pid_t child;
    uint8_t burst[65536];
    size_t burst_len, got;
    int64_t stop_at, busy_ns;
    uint64_t trips;
    bool in_flight, failed;
} pingpong;

/* As the server does on an S frame: read it and write the next burst at once. */
static void on_pong(gw_loop *loop, int fd, unsigned events, void *arg) {
    pingpong *p = arg;
    uint8_t b[64];
    ssize_t n = read(fd, b, sizeof b);
    if (n <= 0) {
        p->failed = n == 0 || (errno != EAGAIN && errno != EINTR);
        return;
    }
    for (p->got += (size_t)n; p->got >= 6 && p->in_flight; p->got -= 6) {
        p->trips++;
        p->in_flight = clock_mono_ns() < p->stop_at;
        if (p->in_flight && write(fd, p->burst, p->burst_len) != (ssize_t)p->burst_len)
            p->failed = true;
    }
}

static bool pingpong_open(pingpong *p, size_t burst_len) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    memset(p, 0, sizeof *p);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 1) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
        return false;
    p->burst_len = burst_len;
    p->child = fork();
    if (p->child == 0)
        run_pong(ntohs(a.sin_port), burst_len);
    p->fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    close(lfd);
    setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->loop = loop_new();
    return p->fd >= 0 && loop_add_fd(p->loop, p->fd, LOOP_READ, on_pong, p) == 0;
}

/* Round trips for `seconds`; the last one is waited for. */
static void pingpong_slice(pingpong *p, double seconds) {
    int64_t t0 = clock_mono_ns();
    p->stop_at = t0 + (int64_t)(seconds * NS_PER_S);
    p->in_flight = true;
    p->failed = p->failed || write(p->fd, p->burst, p->burst_len) != (ssize_t)p->burst_len;
    while (!p->failed && p->in_flight)
        loop_run_once(p->loop, 10 * NS_PER_MS);
    p->busy_ns += clock_mono_ns() - t0;
}

/* Mean round trip (ns), 0 when the exchange failed. */
static double pingpong_close(pingpong *p) {
    loop_free(p->loop);
    close(p->fd);
    waitpid(p->child, NULL, 0);
    return p->failed || !p->trips ? 0 : (double)p->busy_ns / (double)p->trips;
}

/* ---- the server ---- */

static void publish(datahub *hub, int i, double v) {
    dp p = {.id = point_ids[i], .value = {.type = DP_DOUBLE, .d = v}, .unit = "",
            .ts_ns = clock_wall_ns()};
    p.origin.record = -1;
    datahub_publish(hub, &p);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    int k, w;
    double rate, rtt_ns, bound; /* bound 0: the window does not wait for round trips */
    uint64_t sent, updates;
    uint64_t burst_dropped;
    double lat_med_us, lat_p99_us, lat_max_us;
} result;

/* The master's connection; NULL once it closed (the master hangs up when the
 * server breaks the protocol). */
static iec104_conn *master_conn(const iec104_server *srv) {
    return srv->n_sessions ? srv->sessions[0]->conn : NULL;
}

/* Nothing queued or waiting to be written (or nobody left to write to). */
static bool drained(const iec104_server *srv) {
    const iec104_conn *c = master_conn(srv);
    return !c || (!iec104_conn_queued(c) && !iec104_conn_unwritten(c));
}

/* Keep the queue filled, never past its bound, for `seconds`; ASDUs sent.
 * Out of line so that `valgrind --tool=callgrind --toggle-collect=rate_slice`
 * counts the instructions the server spends per ASDU. */
__attribute__((noinline)) static uint64_t rate_slice(gw_loop *loop, datahub *hub,
                                                     iec104_server *srv, double seconds,
                                                     uint64_t *updates) {
    uint64_t sent0 = srv->conn_stats.asdus_sent;
    int64_t end = clock_mono_ns() + (int64_t)(seconds * NS_PER_S);
    for (iec104_conn *c; (c = master_conn(srv)) && clock_mono_ns() < end;) {
        for (int b = 0; b < 256 && iec104_conn_queued(c) + 1 < (size_t)srv->cfg->queue; b++, ++*updates)
            publish(hub, (int)(*updates % POINTS), (double)*updates);
        loop_run_once(loop, 10 * NS_PER_MS);
    }
    return srv->conn_stats.asdus_sent - sent0;
}

/* The rate in slices alternating with slices of the loopback reference, so
 * both see the same load of a shared machine. */
#define SLICES 10

static void measure_rate(gw_loop *loop, datahub *hub, iec104_server *srv, double seconds,
                         result *r) {
    pingpong p;
    bool reference = r->k < 2 * r->w && pingpong_open(&p, (size_t)r->w * APDU_LEN);
    uint64_t sent = 0, updates = 0;
    int64_t busy = 0;
    for (int i = 0; i < SLICES; i++) {
        if (reference)
            pingpong_slice(&p, seconds / SLICES / 2);
        int64_t t0 = clock_mono_ns();
        sent += rate_slice(loop, hub, srv, seconds / SLICES, &updates);
        busy += clock_mono_ns() - t0;
    }
    r->rate = (double)sent / ((double)busy / NS_PER_S);
    r->sent = sent;
    r->updates = updates;
    r->rtt_ns = reference ? pingpong_close(&p) : 0;
    r->bound = r->rtt_ns > 0 ? r->w / (r->rtt_ns / NS_PER_S) : 0;
}

/* One update at a time, from publish to the write() that carried it. */
static void measure_latency(gw_loop *loop, datahub *hub, iec104_server *srv, result *r) {
    static int64_t lat[SAMPLES];
    int n = 0;
    for (; n < SAMPLES && master_conn(srv); n++) {
        while (!drained(srv))
            loop_run_once(loop, NS_PER_MS);
        uint64_t before = srv->conn_stats.asdus_sent;
        int64_t t = clock_mono_ns();
        publish(hub, n % POINTS, 1e6 + n);
        while (master_conn(srv) && (srv->conn_stats.asdus_sent == before || !drained(srv)))
            loop_run_once(loop, NS_PER_MS);
        lat[n] = clock_mono_ns() - t;
    }
    if (n == 0)
        return;
    qsort(lat, (size_t)n, sizeof lat[0], cmp_i64);
    r->lat_med_us = (double)lat[n / 2] / 1e3;
    r->lat_p99_us = (double)lat[n * 99 / 100] / 1e3;
    r->lat_max_us = (double)lat[n - 1] / 1e3;
}

/* An unthrottled burst of 100,000 updates against the bounded queue. */
static void burst(gw_loop *loop, datahub *hub, iec104_server *srv, result *r) {
    uint64_t dropped0 = srv->conn_stats.spont_dropped;
    for (int i = 0; i < 100000; i++)
        publish(hub, i % POINTS, -(double)i);
    r->burst_dropped = srv->conn_stats.spont_dropped - dropped0;
    const iec104_conn *c = master_conn(srv);
    printf("iec104 k=%d w=%d: %llu ASDUs sent for %llu updates; burst of 100000 updates: "
           "%llu dropped (queue bound %d, queued %zu)\n", r->k, r->w,
           (unsigned long long)r->sent, (unsigned long long)r->updates,
           (unsigned long long)r->burst_dropped, srv->cfg->queue, c ? iec104_conn_queued(c) : 0);
    while (!drained(srv))
        loop_run_once(loop, NS_PER_MS);
}

static int run(double seconds, result *r) {
    char *text = make_config(r->k, r->w);
    cfg_err err;
    cfg_node *root = cfg_load_string(text, "bench", &err);
    iec104_config *cfg = root ? iec104_config_parse(root, &err) : NULL;
    free(text);
    if (!cfg) {
        fprintf(stderr, "%s\n", err.msg);
        cfg_free(root);
        return -1;
    }
    gw_loop *loop = loop_new();
    datahub *hub = datahub_new();
    char msg[256];
    iec104_server *srv = iec104_server_start(cfg, loop, hub, msg, sizeof msg);
    if (!srv) {
        fprintf(stderr, "%s\n", msg);
        datahub_free(hub);
        loop_free(loop);
        iec104_config_free(cfg);
        cfg_free(root);
        return -1;
    }
    pid_t child = fork();
    if (child == 0)
        run_master(iec104_server_port(srv), r->k, r->w);
    while (srv->n_sessions == 0 || !iec104_conn_started(srv->sessions[0]->conn))
        loop_run_once(loop, 10 * NS_PER_MS);
    measure_rate(loop, hub, srv, seconds, r);
    burst(loop, hub, srv, r);
    measure_latency(loop, hub, srv, r);
    bool conformant = master_conn(srv) != NULL;
    iec104_server_stop(srv);
    int status = 0;
    waitpid(child, &status, 0);
    conformant = conformant && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!conformant)
        fprintf(stderr, "iec104 k=%d w=%d: the master hung up: protocol violation (more than k "
                "unacknowledged I frames or a wrong N(S)), exit status %d\n", r->k, r->w,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    datahub_free(hub);
    loop_free(loop);
    iec104_config_free(cfg);
    cfg_free(root);
    return conformant ? 0 : -1;
}

static void print_load(void) {
    char line[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            snprintf(line, sizeof line, "?\n");
        fclose(f);
    }
    printf("iec104: load average %s", line);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    result runs[MAX_RUNS] = {{.k = 12, .w = 8}, {.k = 100, .w = 66}};
    int n_runs = 2;
    if (argc > 3)
        for (n_runs = 0; n_runs < MAX_RUNS && 2 + 2 * n_runs + 1 < argc; n_runs++)
            runs[n_runs] = (result){.k = atoi(argv[2 + 2 * n_runs]), .w = atoi(argv[3 + 2 * n_runs])};
    log_set_level(LOG_LVL_WARN);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < POINTS; i++)
        snprintf(point_ids[i], sizeof point_ids[i], "p/%d", i);
    print_load();
    for (int i = 0; i < n_runs; i++)
        if (run(seconds, &runs[i]) < 0)
            return 1;
    printf("iec104: one master, %d points changing continuously, %.1f s per window "
           "(goal: 200000 ASDUs/s at k=12 w=8)\n", POINTS, seconds);
    printf("iec104:   k   w   ASDUs/s   loopback RTT  w/RTT bound  of bound   "
           "update->socket median / p99 / max\n");
    for (int i = 0; i < n_runs; i++) {
        const result *r = &runs[i];
        char rtt[32] = "-", bound[32] = "-", share[16] = "-";
        if (r->bound > 0) {
            snprintf(rtt, sizeof rtt, "%.1f us", r->rtt_ns / 1e3);
            snprintf(bound, sizeof bound, "%.0f", r->bound);
            snprintf(share, sizeof share, "%.0f %%", 100 * r->rate / r->bound);
        }
        printf("iec104: %3d %3d %9.0f %14s %12s %9s   %.1f / %.1f / %.1f us\n", r->k, r->w,
               r->rate, rtt, bound, share, r->lat_med_us, r->lat_p99_us, r->lat_max_us);
    }
    print_load();
    return 0; /* reported, not enforced: machines and their load differ */
}
