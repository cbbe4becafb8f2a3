/* dlms_tcp: DLMS meters over TCP with the wrapper (see dlms_tcp.h). */
#include "sim/dlms/dlms_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "codec/dlms/dlms_wrapper.h"
#include "core/iochan.h"

#define FRAME_MAX (WRAPPER_HEADER + 4096)

typedef struct tmeter tmeter;

/* What the gateway did on a meter's connection, handled at the next bench event. */
typedef struct inbound {
    tmeter *tm;
    unsigned conn;          /* connection number */
    bool accepted;          /* the connection opened (no data) */
    size_t len;
    uint8_t data[FRAME_MAX];
} inbound;

/* An answer waiting for its instant. */
typedef struct answer {
    struct answer *next;
    tmeter *tm;
    unsigned conn;
    loop_timer_id timer;
    size_t len;
    uint8_t data[FRAME_MAX];
} answer;

struct tmeter {
    dlms_tcp *b;
    size_t index;
    uint16_t port;
    int listen_fd;
    int fd;                 /* the open connection, -1 none */
    iochan *ch;
    unsigned conn;          /* number of the open (or last) connection, from 1 */
    unsigned mute_upto;     /* connections up to this number never get an answer */
    dlms_meter *meter;
    uint8_t rx[FRAME_MAX];
    size_t rx_len;
    loop_timer_id join_timer, drop_timer, return_timer;
    uint64_t requests, answers, ignored;
    char name[64];          /* trace channel: <network>/<index> */
};

struct dlms_tcp {
    hplc_net_spec spec;
    gw_loop *loop;
    trace *tr;
    tmeter *m;
    size_t n;
    inbound *inbox;
    size_t n_inbox, cap_inbox;
    loop_timer_id inbox_timer;
    answer *pending;
    int64_t start_mono;
    char port_text[8];
};

static void note(tmeter *tm, const char *what) {
    int64_t now = clock_mono_ns();
    trace_add(tm->b->tr, tm->name, TRACE_NOTE, 0, now, now, NULL, 0, what);
}

/* ---- listeners ----------------------------------------------------------------- */

static int listen_on(uint16_t port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0) return -1;
    /* so the port can be taken again after a drop, past the closed connections' TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg);

static void stop_listening(tmeter *tm) {
    if (tm->listen_fd < 0) return;
    loop_del_fd(tm->b->loop, tm->listen_fd);
    close(tm->listen_fd);
    tm->listen_fd = -1;
}

static void start_listening(tmeter *tm) {
    if (tm->listen_fd >= 0) return;
    tm->listen_fd = listen_on(tm->port);
    if (tm->listen_fd < 0 || loop_add_fd(tm->b->loop, tm->listen_fd, LOOP_READ, on_accept, tm) != 0) {
        char what[96];
        snprintf(what, sizeof what, "cannot listen on its port again: %s", strerror(errno));
        note(tm, what);
        if (tm->listen_fd >= 0) close(tm->listen_fd);
        tm->listen_fd = -1;
    }
}

/* A run of n free ports on the loopback, below the ephemeral range the
 * gateway's connections take their ports from. */
static bool claim_ports(dlms_tcp *b) {
    uint32_t seed = (uint32_t)getpid() * 2654435761u;
    for (int attempt = 0; attempt < 50; attempt++) {
        uint16_t base = (uint16_t)(10000 + (seed + (uint32_t)attempt * 7919u) % 20000u);
        size_t ok = 0;
        for (; ok < b->n; ok++) {
            b->m[ok].listen_fd = listen_on((uint16_t)(base + ok));
            if (b->m[ok].listen_fd < 0) break;
            b->m[ok].port = (uint16_t)(base + ok);
        }
        if (ok == b->n) return true;
        for (size_t k = 0; k < ok; k++) {
            close(b->m[k].listen_fd);
            b->m[k].listen_fd = -1;
        }
    }
    return false;
}

/* ---- connections ---------------------------------------------------------------- */

static inbound *inbox_slot(dlms_tcp *b) {
    if (b->n_inbox == b->cap_inbox) {
        size_t cap = b->cap_inbox ? b->cap_inbox * 2 : 8;
        inbound *grown = realloc(b->inbox, cap * sizeof *grown);
        if (!grown) return NULL;
        b->inbox = grown;
        b->cap_inbox = cap;
    }
    return &b->inbox[b->n_inbox++];
}

static void handle_inbox(gw_loop *loop, void *arg);

static void queue_inbound(tmeter *tm, bool accepted, const uint8_t *data, size_t len) {
    dlms_tcp *b = tm->b;
    inbound *in = inbox_slot(b);
    if (!in) return; /* out of memory: as if lost */
    in->tm = tm;
    in->conn = tm->conn;
    in->accepted = accepted;
    in->len = len;
    if (len) memcpy(in->data, data, len);
    if (!b->inbox_timer) b->inbox_timer = loop_timer_at(b->loop, clock_mono_ns(), handle_inbox, b);
}

/* Not traced: a close carries no byte, so nothing orders it against the
 * other channels' events of its instant (see sim/modbus/modbus_meter.c). */
static void conn_close(tmeter *tm) {
    if (tm->fd < 0) return;
    loop_del_fd(tm->b->loop, tm->fd);
    iochan_close(tm->ch);
    close(tm->fd);
    tm->fd = -1;
    tm->ch = NULL;
    tm->rx_len = 0;
}

/* Cut complete wrapper frames off the stream; false when it is not a wrapper. */
static bool take_frames(tmeter *tm) {
    size_t off = 0;
    for (;;) {
        wrapper_pdu p;
        const char *why = "";
        long used = wrapper_decode(tm->rx + off, tm->rx_len - off, &p, &why);
        if (used < 0) return false;
        if (used == 0) break;
        queue_inbound(tm, false, tm->rx + off, (size_t)used);
        off += (size_t)used;
    }
    memmove(tm->rx, tm->rx + off, tm->rx_len - off);
    tm->rx_len -= off;
    return tm->rx_len < sizeof tm->rx;
}

static void on_conn(gw_loop *loop, int fd, unsigned events, void *arg) {
    tmeter *tm = arg;
    for (;;) {
        ssize_t n = iochan_read(tm->ch, tm->rx + tm->rx_len, sizeof tm->rx - tm->rx_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            conn_close(tm); /* the gateway closed (or reset) it */
            return;
        }
        tm->rx_len += (size_t)n;
        if (!take_frames(tm)) {
            tm->ignored++;
            tm->rx_len = 0; /* not a wrapper: dropped (the counters still agree) */
        }
    }
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    tmeter *tm = arg;
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) return;
        if (tm->fd >= 0) {
            on_conn(loop, tm->fd, LOOP_READ, tm); /* count what is left on the old one */
            conn_close(tm);                       /* one connection per meter */
        }
        char name[48];
        snprintf(name, sizeof name, "tcp:%u:%u", tm->port, ntohs(peer.sin_port));
        tm->ch = iochan_open(cfd, name, false);
        tm->fd = cfd;
        tm->rx_len = 0;
        tm->conn++;
        if (!tm->ch || loop_add_fd(loop, cfd, LOOP_READ, on_conn, tm) != 0) {
            conn_close(tm);
            continue;
        }
        queue_inbound(tm, true, NULL, 0);
    }
}

/* ---- answers ---------------------------------------------------------------------- */

static void unlink_answer(dlms_tcp *b, answer *a) {
    for (answer **pp = &b->pending; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            return;
        }
}

/* Has the gateway closed the connection (its FIN is already queued here)? */
static bool peer_closed(int fd) {
    char c;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void deliver(gw_loop *loop, void *arg) {
    answer *a = arg;
    tmeter *tm = a->tm;
    a->timer = 0;
    bool live = tm->fd >= 0 && a->conn == tm->conn && a->conn > tm->mute_upto;
    if (live && peer_closed(tm->fd)) {
        conn_close(tm); /* writing would leave bytes the gateway never reads */
        live = false;
    }
    if (live && !hplc_gate_pass(loop)) {
        a->timer = loop_timer_at(loop, clock_mono_ns(), deliver, a);
        return;
    }
    unlink_answer(tm->b, a);
    if (live) {
        int64_t now = clock_mono_ns();
        if (iochan_write(tm->ch, a->data, a->len) == (ssize_t)a->len) {
            tm->answers++;
            trace_add(tm->b->tr, tm->name, TRACE_BUS_TO_GW, 0, now, now, a->data, a->len, "answer");
        } else {
            note(tm, "answer not written");
        }
    }
    free(a);
}

static void request(tmeter *tm, const inbound *in) {
    dlms_tcp *b = tm->b;
    int64_t now = clock_mono_ns();
    bool mute = in->conn <= tm->mute_upto;
    tm->requests++;
    trace_add(b->tr, tm->name, TRACE_GW_TO_BUS, 0, now, now, in->data, in->len,
              mute ? "request (meter off: no answer)" : "request");
    if (mute) return;
    wrapper_pdu w;
    const char *why;
    uint8_t apdu[FRAME_MAX];
    if (wrapper_decode(in->data, in->len, &w, &why) != (long)in->len) return;
    size_t n = dlms_meter_handle(tm->meter, w.apdu, w.len, apdu, sizeof apdu);
    if (!n) return;
    answer *a = calloc(1, sizeof *a);
    if (!a) return;
    a->len = wrapper_encode(a->data, sizeof a->data, w.dst, w.src, apdu, n);
    if (!a->len) {
        free(a);
        return;
    }
    a->tm = tm;
    a->conn = in->conn;
    a->next = b->pending;
    b->pending = a;
    a->timer = loop_timer_at(b->loop, now + b->spec.response_delay_ns, deliver, a);
}

/* The gateway's doings of one instant, in meter order: the kernel hands the
 * bench its connections and bytes in an order that differs between runs. */
static void handle_inbox(gw_loop *loop, void *arg) {
    dlms_tcp *b = arg;
    b->inbox_timer = 0;
    for (size_t i = 1; i < b->n_inbox; i++) /* stable insertion sort by meter */
        for (size_t k = i; k > 0 && b->inbox[k - 1].tm->index > b->inbox[k].tm->index; k--) {
            inbound t = b->inbox[k];
            b->inbox[k] = b->inbox[k - 1];
            b->inbox[k - 1] = t;
        }
    size_t n = b->n_inbox;
    b->n_inbox = 0;
    for (size_t i = 0; i < n; i++) {
        inbound *in = &b->inbox[i];
        if (in->accepted) {
            char what[64];
            snprintf(what, sizeof what, "connection %u accepted", in->conn);
            note(in->tm, what);
        } else {
            request(in->tm, in);
        }
    }
}

/* ---- presence ------------------------------------------------------------------------ */

static void on_join(gw_loop *loop, void *arg) {
    tmeter *tm = arg;
    tm->join_timer = 0;
    start_listening(tm);
    note(tm, "on: listening");
}

static void on_return(gw_loop *loop, void *arg) {
    tmeter *tm = arg;
    tm->return_timer = 0;
    start_listening(tm);
    note(tm, "back: listening");
}

static void on_drop(gw_loop *loop, void *arg) {
    tmeter *tm = arg;
    tm->drop_timer = 0;
    stop_listening(tm);
    tm->mute_upto = tm->conn; /* the open connection, if any, goes silent */
    dlms_meter_reset(tm->meter);
    note(tm, "off: connections refused, open connection silent");
}

/* ---- life cycle ---------------------------------------------------------------------- */

dlms_tcp *dlms_tcp_new(const hplc_net_spec *spec, gw_loop *loop, trace *tr, char *err, size_t errlen) {
    dlms_tcp *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->spec = *spec;
    b->loop = loop;
    b->tr = tr;
    b->n = spec->nodes;
    b->m = calloc(b->n, sizeof *b->m);
    if (!b->m) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < b->n; i++) b->m[i].listen_fd = b->m[i].fd = -1;
    if (!claim_ports(b)) {
        snprintf(err, errlen, "dlms network %s: no run of %zu free TCP ports", spec->name, b->n);
        dlms_tcp_free(b);
        return NULL;
    }
    snprintf(b->port_text, sizeof b->port_text, "%u", b->m[0].port);
    for (size_t i = 0; i < b->n; i++) {
        tmeter *tm = &b->m[i];
        tm->b = b;
        tm->index = i;
        snprintf(tm->name, sizeof tm->name, "%s/%zu", spec->name, i);
        dlms_meter_spec ms;
        hplc_node_meter_spec(spec, i, &ms);
        tm->meter = dlms_meter_new(&ms, clock_wall_ns());
        if (!tm->meter) {
            snprintf(err, errlen, "dlms network %s: cannot set up meter %zu", spec->name, i);
            dlms_tcp_free(b);
            return NULL;
        }
    }
    return b;
}

static loop_timer_id at_scenario(dlms_tcp *b, int64_t t_ns, loop_timer_cb cb, tmeter *tm) {
    return t_ns < 0 ? 0 : loop_timer_at(b->loop, b->start_mono + t_ns, cb, tm);
}

int dlms_tcp_start(dlms_tcp *b) {
    b->start_mono = clock_mono_ns();
    for (size_t i = 0; i < b->n; i++) {
        tmeter *tm = &b->m[i];
        const hplc_node_spec *ns = &b->spec.node[i];
        if (ns->join_at_ns > 0) stop_listening(tm); /* bound only to claim the port */
        else if (loop_add_fd(b->loop, tm->listen_fd, LOOP_READ, on_accept, tm) != 0) return -1;
        tm->join_timer = ns->join_at_ns > 0 ? at_scenario(b, ns->join_at_ns, on_join, tm) : 0;
        tm->drop_timer = at_scenario(b, ns->drop_at_ns, on_drop, tm);
        tm->return_timer = at_scenario(b, ns->return_at_ns, on_return, tm);
    }
    return 0;
}

const char *dlms_tcp_port_text(const dlms_tcp *b) { return b->port_text; }
const char *dlms_tcp_name(const dlms_tcp *b) { return b->spec.name; }

int dlms_tcp_write_stats(const dlms_tcp *b, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    uint64_t req = 0, ans = 0, conns = 0, ignored = 0, blocks = 0, sets = 0;
    for (size_t i = 0; i < b->n; i++) {
        const tmeter *tm = &b->m[i];
        req += tm->requests;
        ans += tm->answers;
        conns += tm->conn;
        ignored += tm->ignored;
        blocks += dlms_meter_blocks_sent(tm->meter);
        sets += dlms_meter_clock_sets(tm->meter);
    }
    fprintf(f, "{\"network\":\"%s\",\"transport\":\"tcp\",\"meters\":%zu,\"requests\":%llu,"
               "\"answers\":%llu,\"connections\":%llu,\"not_wrapper\":%llu,\"blocks\":%llu,"
               "\"clock_sets\":%llu}\n",
            b->spec.name, b->n, (unsigned long long)req, (unsigned long long)ans,
            (unsigned long long)conns, (unsigned long long)ignored, (unsigned long long)blocks,
            (unsigned long long)sets);
    return fclose(f);
}

void dlms_tcp_free(dlms_tcp *b) {
    if (!b) return;
    if (b->inbox_timer) loop_timer_cancel(b->loop, b->inbox_timer);
    free(b->inbox);
    while (b->pending) {
        answer *a = b->pending;
        b->pending = a->next;
        loop_timer_cancel(b->loop, a->timer);
        free(a);
    }
    for (size_t i = 0; i < b->n; i++) {
        tmeter *tm = &b->m[i];
        if (tm->join_timer) loop_timer_cancel(b->loop, tm->join_timer);
        if (tm->drop_timer) loop_timer_cancel(b->loop, tm->drop_timer);
        if (tm->return_timer) loop_timer_cancel(b->loop, tm->return_timer);
        conn_close(tm);
        if (tm->listen_fd >= 0) {
            loop_del_fd(b->loop, tm->listen_fd); /* harmless when never watched */
            close(tm->listen_fd);
        }
        dlms_meter_free(tm->meter);
    }
    free(b->m);
    free(b);
}
