/* hplc_net: emulated HPLC network of DLMS nodes over UDP (see hplc_net.h). */
#include "sim/dlms/hplc_net.h"

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

#define DGRAM_MAX 4096

typedef struct node node;

/* A datagram on its way through the network. */
typedef struct packet {
    struct packet *next;
    node *nd;
    bool to_meter;
    size_t len;
    uint8_t data[DGRAM_MAX];
} packet;

struct node {
    hplc_net *net;
    size_t index;
    int fd;
    iochan *ch;
    uint16_t port, gw_port;
    int hops;
    dlms_meter *meter;
    uint64_t requests, answers, dropped_loss, dropped_size, dropped_absent;
    int64_t rtt_sum_ns, last_request_ns;
};

/* A datagram read from the gateway, handled at the next bench event. */
typedef struct inbound {
    node *nd;
    size_t len;
    uint8_t data[DGRAM_MAX];
} inbound;

struct hplc_net {
    hplc_net_spec spec;
    inbound *inbox;       /* read this instant, not yet handled */
    size_t n_inbox, cap_inbox;
    loop_timer_id inbox_timer;
    gw_loop *loop;
    trace *tr;
    node *nodes;
    size_t n;
    packet *pending;
    uint64_t rng;
    int64_t start_mono;
    int64_t first_request_ns, last_answer_ns;
    char port_text[8], gw_port_text[8];
};

/* ---- spec ---------------------------------------------------------------------- */

static bool parse_node(const cfg_node *n, hplc_net_spec *s, cfg_err *err) {
    static const char *const keys[] = {"node", "join_at", "drop_at", "return_at", "password", "ek",
                                       "drift_ppm", "clock_offset", "quirks", NULL};
    long long idx;
    const char *pw, *ek;
    if (!cfg_only_keys(n, keys, err) || !cfg_int(n, "node", 0, 0, (long long)s->nodes - 1, &idx, err))
        return false;
    hplc_node_spec *ns = &s->node[idx];
    if (!cfg_duration_ns(n, "join_at", -1, &ns->join_at_ns, err) ||
        !cfg_duration_ns(n, "drop_at", -1, &ns->drop_at_ns, err) ||
        !cfg_duration_ns(n, "return_at", -1, &ns->return_at_ns, err) ||
        !cfg_str(n, "password", NULL, &pw, err) || !cfg_str(n, "ek", NULL, &ek, err) ||
        !cfg_double(n, "drift_ppm", 0, &ns->drift_ppm, err) ||
        !cfg_duration_ns(n, "clock_offset", 0, &ns->clock_offset_ns, err))
        return false;
    const cfg_node *qk = cfg_get(n, "quirks");
    ns->quirks = s->meter.quirks; /* the network's, overridden by the node's own keys */
    if (qk && !dlms_quirks_parse(qk, &ns->quirks, err)) return false;
    ns->has_quirks = qk != NULL;
    ns->has_drift = cfg_get(n, "drift_ppm") != NULL;
    ns->has_offset = cfg_get(n, "clock_offset") != NULL;
    if (pw) {
        ns->has_password = true;
        snprintf(ns->password, sizeof ns->password, "%s", pw);
    }
    if (ek) {
        if (!dlms_key_parse(ek, ns->ek)) return cfg_fail(err, cfg_get(n, "ek"), "ek must be 32 hex digits");
        ns->has_ek = true;
    }
    return true;
}

bool hplc_net_spec_parse(const cfg_node *n, const scenario_paths *paths, hplc_net_spec *s, cfg_err *err) {
    static const char *const keys[] = {"name", "nodes", "meter", "hops", "max_hops", "hop_latency",
                                       "loss", "bandwidth", "max_packet", "seed", "auth",
                                       "password", "ek", "ak", "system_title", "node", "transport",
                                       "baud", "logical", "physical", "max_info", "response_delay", "quirks",
                                       "invocation_counter", NULL};
    const char *name, *meter, *auth, *pw, *transport;
    long long nodes, hops, max_hops, max_packet, seed, baud, logical, physical, max_info;
    memset(s, 0, sizeof *s);
    if (n->kind != CFG_MAP) return cfg_fail(err, n, "a DLMS network must be a map");
    if (!cfg_only_keys(n, keys, err) || !cfg_require(n, "name", CFG_SCALAR, err) ||
        !cfg_require(n, "meter", CFG_SCALAR, err) || !cfg_str(n, "name", NULL, &name, err) ||
        !cfg_str(n, "meter", NULL, &meter, err) || !cfg_int(n, "nodes", 1, 1, 1000, &nodes, err) ||
        !cfg_int(n, "hops", 1, 1, 15, &hops, err) || !cfg_int(n, "max_hops", 1, 1, 15, &max_hops, err) ||
        !cfg_duration_ns(n, "hop_latency", 50 * NS_PER_MS, &s->hop_latency_ns, err) ||
        !cfg_double(n, "loss", 0, &s->loss, err) || !cfg_double(n, "bandwidth", 0, &s->bandwidth, err) ||
        !cfg_int(n, "max_packet", 0, 0, 65535, &max_packet, err) ||
        !cfg_int(n, "seed", 1, 0, INT32_MAX, &seed, err) ||
        !cfg_str(n, "auth", "none", &auth, err) || !cfg_str(n, "password", "", &pw, err) ||
        !cfg_str(n, "transport", "udp", &transport, err) || !cfg_int(n, "baud", 9600, 300, 115200, &baud, err) ||
        !cfg_int(n, "logical", 1, 0, 0x3FFF, &logical, err) ||
        !cfg_int(n, "physical", 17, 0, 0x3FFF, &physical, err) ||
        !cfg_int(n, "max_info", 128, 32, 2030, &max_info, err) ||
        !cfg_duration_ns(n, "response_delay", 20 * NS_PER_MS, &s->response_delay_ns, err))
        return false;
    if (strcmp(transport, "hdlc") == 0) s->transport = HPLC_TR_HDLC;
    else if (strcmp(transport, "tcp") == 0) s->transport = HPLC_TR_TCP;
    else if (strcmp(transport, "udp") != 0)
        return cfg_fail(err, cfg_get(n, "transport"), "transport must be udp (HPLC), tcp or hdlc (RS-485)");
    if (physical + nodes - 1 > 0x3FFF) return cfg_fail(err, cfg_get(n, "physical"), "physical addresses past 0x3FFF");
    s->baud = (long)baud;
    s->logical = (uint16_t)logical;
    s->physical = (uint16_t)physical;
    s->max_info = (size_t)max_info;
    if (s->loss < 0 || s->loss >= 1) return cfg_fail(err, cfg_get(n, "loss"), "loss must be in [0, 1)");
    snprintf(s->name, sizeof s->name, "%s", name);
    s->nodes = (size_t)nodes;
    s->hops = (int)hops;
    s->max_hops = (int)max_hops;
    s->max_packet = (size_t)max_packet;
    s->seed = (uint64_t)seed;
    char path[4096];
    if (!scenario_path(paths, cfg_get(n, "meter"), "DLMS meter file", path, sizeof path, err)) return false;
    if (!dlms_meter_spec_load(path, &s->meter, err)) return false;
    const cfg_node *qk = cfg_get(n, "quirks");
    if (qk && !dlms_quirks_parse(qk, &s->meter.quirks, err)) return false;
    long long ic;
    if (!cfg_int(n, "invocation_counter", 1, 0, UINT32_MAX, &ic, err)) return false;
    s->meter.invocation_counter = (uint32_t)ic;
    if (strcmp(auth, "lls") == 0) s->meter.auth = DLMS_AUTH_LLS;
    else if (strcmp(auth, "hls") == 0) s->meter.auth = DLMS_AUTH_HLS_GMAC;
    else if (strcmp(auth, "none") != 0) return cfg_fail(err, cfg_get(n, "auth"), "auth must be none, lls or hls");
    snprintf(s->meter.password, sizeof s->meter.password, "%s", pw);
    if (s->meter.auth == DLMS_AUTH_HLS_GMAC) {
        const char *ek, *ak, *st;
        if (!cfg_str(n, "ek", "", &ek, err) || !cfg_str(n, "ak", "", &ak, err) ||
            !cfg_str(n, "system_title", "", &st, err))
            return false;
        if (!dlms_key_parse(ek, s->meter.keys.ek) || !dlms_key_parse(ak, s->meter.keys.ak) ||
            !dlms_systitle_parse(st, s->meter.systitle))
            return cfg_fail(err, n, "auth: hls needs ek and ak (32 hex digits) and system_title (16)");
    }
    s->node = calloc(s->nodes, sizeof *s->node);
    if (!s->node) return cfg_fail(err, n, "out of memory");
    for (size_t i = 0; i < s->nodes; i++)
        s->node[i].join_at_ns = s->node[i].drop_at_ns = s->node[i].return_at_ns = -1;
    const cfg_node *nodes_cfg = cfg_get(n, "node");
    if (nodes_cfg && nodes_cfg->kind != CFG_SEQ) return cfg_fail(err, nodes_cfg, "node must be a sequence");
    for (size_t i = 0; nodes_cfg && i < nodes_cfg->n; i++)
        if (!parse_node(nodes_cfg->items[i], s, err)) return false;
    return true;
}

void hplc_net_spec_free(hplc_net_spec *s) {
    free(s->node);
    s->node = NULL;
}

void hplc_node_meter_spec(const hplc_net_spec *spec, size_t i, dlms_meter_spec *ms) {
    const hplc_node_spec *ns = &spec->node[i];
    *ms = spec->meter;
    if (spec->nodes > 1) {
        size_t l = strlen(ms->serial);
        snprintf(ms->serial + (l > 24 ? 24 : l), sizeof ms->serial - (l > 24 ? 24 : l), "%04zu", i + 1);
    }
    if (spec->nodes > 1) { /* each meter its own system title; a single one keeps it as given */
        ms->systitle[6] = (uint8_t)((i + 1) >> 8);
        ms->systitle[7] = (uint8_t)(i + 1);
    }
    if (ns->has_password) snprintf(ms->password, sizeof ms->password, "%s", ns->password);
    if (ns->has_ek) memcpy(ms->keys.ek, ns->ek, DLMS_KEY_LEN);
    if (ns->has_drift) ms->drift_ppm = ns->drift_ppm;
    if (ns->has_offset) ms->clock_offset_ns = ns->clock_offset_ns;
    if (ns->has_quirks) ms->quirks = ns->quirks;
}

/* ---- network ----------------------------------------------------------------------- */

static double next_random(hplc_net *net) {
    net->rng ^= net->rng << 13;
    net->rng ^= net->rng >> 7;
    net->rng ^= net->rng << 17;
    return (double)(net->rng >> 11) / 9007199254740992.0;
}

/* Is the node on the network at this moment (scenario time)? */
static bool present(const node *nd) {
    const hplc_node_spec *s = &nd->net->spec.node[nd->index];
    int64_t t = clock_mono_ns() - nd->net->start_mono;
    if (s->join_at_ns >= 0 && t < s->join_at_ns) return false;
    if (s->drop_at_ns >= 0 && t >= s->drop_at_ns && (s->return_at_ns < 0 || t < s->return_at_ns))
        return false;
    return true;
}

static int64_t transit_ns(const node *nd, size_t len) {
    const hplc_net_spec *s = &nd->net->spec;
    int64_t per_hop = s->hop_latency_ns;
    if (s->bandwidth > 0) per_hop += (int64_t)((double)len / s->bandwidth * NS_PER_S);
    return per_hop * nd->hops;
}

static void note(node *nd, const char *what) {
    char ch[64];
    snprintf(ch, sizeof ch, "%s/%zu", nd->net->spec.name, nd->index);
    int64_t now = clock_mono_ns();
    trace_add(nd->net->tr, ch, TRACE_NOTE, 0, now, now, NULL, 0, what);
}

static void unlink_packet(hplc_net *net, packet *p) {
    for (packet **pp = &net->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void deliver(gw_loop *loop, void *arg);

/* Put a datagram on the network, unless loss, the size limit or an absent node eats it. */
static void send_through(node *nd, bool to_meter, const uint8_t *data, size_t len) {
    hplc_net *net = nd->net;
    if (net->spec.max_packet && len > net->spec.max_packet) {
        nd->dropped_size++;
        note(nd, to_meter ? "request larger than max_packet dropped" : "answer larger than max_packet dropped");
        return;
    }
    if (net->spec.loss > 0 && next_random(net) < net->spec.loss) {
        nd->dropped_loss++;
        return;
    }
    packet *p = malloc(sizeof *p);
    if (!p || len > sizeof p->data) {
        free(p);
        return;
    }
    p->nd = nd;
    p->to_meter = to_meter;
    p->len = len;
    memcpy(p->data, data, len);
    p->next = net->pending;
    net->pending = p;
    loop_timer_after(net->loop, transit_ns(nd, len), deliver, p);
}

static void meter_receives(node *nd, const uint8_t *data, size_t len) {
    wrapper_pdu w;
    const char *why;
    uint8_t answer[DGRAM_MAX], out[DGRAM_MAX];
    if (!present(nd)) {
        nd->dropped_absent++;
        dlms_meter_reset(nd->meter); /* lost power or its route: the association is gone */
        return;
    }
    if (wrapper_decode(data, len, &w, &why) != (long)len) return;
    size_t n = dlms_meter_handle(nd->meter, w.apdu, w.len, answer, sizeof answer);
    if (!n) return;
    size_t m = wrapper_encode(out, sizeof out, w.dst, w.src, answer, n);
    if (m) send_through(nd, false, out, m);
}

/* Determinism: the gateway sees at most one datagram per co-simulation step.
 * Two datagrams written at one instant to two sockets reach the gateway in
 * whatever order the kernel and its poll() happen to see them, and it would
 * handle them in that order (store rows, events). So after each write to the
 * gateway the gate closes until a zero-delay timer, which runs only after the
 * time master has synced with the gateway, opens it again; deliveries that find
 * it closed wait for the next step in their (deterministic) timer order. Shared
 * by every network of the bench. */
static bool gate_closed;

static void open_gate(gw_loop *loop, void *arg) {
    gate_closed = false;
}

bool hplc_gate_pass(gw_loop *loop) {
    if (gate_closed) return false;
    gate_closed = true;
    loop_timer_at(loop, clock_mono_ns(), open_gate, NULL);
    return true;
}

static void deliver(gw_loop *loop, void *arg) {
    packet *p = arg;
    node *nd = p->nd;
    if (!p->to_meter && present(nd) && !hplc_gate_pass(loop)) {
        loop_timer_at(loop, clock_mono_ns(), deliver, p);
        return;
    }
    unlink_packet(nd->net, p);
    if (p->to_meter) {
        meter_receives(nd, p->data, p->len);
    } else if (present(nd)) {
        if (iochan_write(nd->ch, p->data, p->len) == (ssize_t)p->len) {
            int64_t now = clock_mono_ns();
            nd->answers++;
            nd->rtt_sum_ns += now - nd->last_request_ns;
            nd->net->last_answer_ns = now;
        }
    } else {
        nd->dropped_absent++;
    }
    free(p);
}

/* The gateway's datagrams of one instant, handled in node order: they are read
 * in the order the kernel delivers them, which differs between runs, and the
 * loss draws and transit timers must not depend on it. */
static void handle_inbox(gw_loop *loop, void *arg) {
    hplc_net *net = arg;
    net->inbox_timer = 0;
    for (size_t i = 1; i < net->n_inbox; i++) /* stable insertion sort by node */
        for (size_t k = i; k > 0 && net->inbox[k - 1].nd->index > net->inbox[k].nd->index; k--) {
            inbound t = net->inbox[k];
            net->inbox[k] = net->inbox[k - 1];
            net->inbox[k - 1] = t;
        }
    size_t n = net->n_inbox;
    net->n_inbox = 0;
    for (size_t i = 0; i < n; i++) send_through(net->inbox[i].nd, true, net->inbox[i].data, net->inbox[i].len);
}

static inbound *inbox_slot(hplc_net *net) {
    if (net->n_inbox == net->cap_inbox) {
        size_t cap = net->cap_inbox ? net->cap_inbox * 2 : 8;
        inbound *grown = realloc(net->inbox, cap * sizeof *grown);
        if (!grown) return NULL;
        net->inbox = grown;
        net->cap_inbox = cap;
    }
    return &net->inbox[net->n_inbox++];
}

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    node *nd = arg;
    hplc_net *net = nd->net;
    uint8_t buf[DGRAM_MAX];
    for (;;) {
        ssize_t n = iochan_read(nd->ch, buf, sizeof buf);
        if (n < 0) return;
        int64_t now = clock_mono_ns();
        nd->requests++;
        nd->last_request_ns = now;
        if (!net->first_request_ns) net->first_request_ns = now;
        inbound *in = inbox_slot(net);
        if (!in) continue; /* out of memory: as if lost */
        in->nd = nd;
        in->len = (size_t)n;
        memcpy(in->data, buf, (size_t)n);
        if (!net->inbox_timer) net->inbox_timer = loop_timer_at(loop, now, handle_inbox, net);
    }
}

static int bind_udp(uint16_t port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool connect_udp(int fd, uint16_t port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
}

/* A run of n free ports: the nodes keep theirs; the gateway's are only probed. */
static bool claim_ports(hplc_net *net, uint16_t *base, uint16_t *gw_base) {
    size_t n = net->n;
    uint32_t seed = (uint32_t)getpid() * 2654435761u;
    for (int attempt = 0; attempt < 50; attempt++) {
        uint16_t b = (uint16_t)(20000 + (seed + (uint32_t)attempt * 7919u) % 20000u);
        uint16_t g = (uint16_t)(b + 20000);
        size_t ok = 0;
        for (; ok < n; ok++) {
            int probe = bind_udp((uint16_t)(g + ok));
            if (probe < 0) break;
            close(probe);
            net->nodes[ok].fd = bind_udp((uint16_t)(b + ok));
            if (net->nodes[ok].fd < 0) break;
        }
        if (ok == n) {
            *base = b;
            *gw_base = g;
            return true;
        }
        for (size_t k = 0; k < ok; k++) {
            close(net->nodes[k].fd);
            net->nodes[k].fd = -1;
        }
    }
    return false;
}

hplc_net *hplc_net_new(const hplc_net_spec *spec, gw_loop *loop, trace *tr, char *err, size_t errlen) {
    hplc_net *net = calloc(1, sizeof *net);
    if (!net) return NULL;
    net->spec = *spec;
    net->loop = loop;
    net->tr = tr;
    net->n = spec->nodes;
    net->rng = spec->seed * 0x9E3779B97F4A7C15ULL + 1;
    gate_closed = false; /* a gate left closed by an earlier scenario's loop */
    net->nodes = calloc(net->n, sizeof *net->nodes);
    if (!net->nodes) {
        free(net);
        return NULL;
    }
    for (size_t i = 0; i < net->n; i++) net->nodes[i].fd = -1;
    uint16_t base, gw;
    if (!claim_ports(net, &base, &gw)) {
        snprintf(err, errlen, "dlms network %s: no run of %zu free UDP ports", spec->name, net->n);
        hplc_net_free(net);
        return NULL;
    }
    snprintf(net->port_text, sizeof net->port_text, "%u", base);
    snprintf(net->gw_port_text, sizeof net->gw_port_text, "%u", gw);
    for (size_t i = 0; i < net->n; i++) {
        node *nd = &net->nodes[i];
        nd->net = net;
        nd->index = i;
        nd->port = (uint16_t)(base + i);
        nd->gw_port = (uint16_t)(gw + i);
        nd->hops = spec->hops + (int)(i % (size_t)spec->max_hops);
        dlms_meter_spec ms;
        hplc_node_meter_spec(spec, i, &ms);
        nd->meter = dlms_meter_new(&ms, clock_wall_ns());
        char name[64];
        snprintf(name, sizeof name, "udp:%u:%u", nd->gw_port, nd->port);
        if (!nd->meter || !connect_udp(nd->fd, nd->gw_port) || !(nd->ch = iochan_open(nd->fd, name, true))) {
            snprintf(err, errlen, "dlms network %s: cannot set up node %zu", spec->name, i);
            hplc_net_free(net);
            return NULL;
        }
    }
    return net;
}

int hplc_net_start(hplc_net *net) {
    net->start_mono = clock_mono_ns();
    for (size_t i = 0; i < net->n; i++)
        if (loop_add_fd(net->loop, net->nodes[i].fd, LOOP_READ, on_readable, &net->nodes[i]) != 0)
            return -1;
    return 0;
}

const char *hplc_net_port_text(const hplc_net *net) { return net->port_text; }
const char *hplc_net_gw_port_text(const hplc_net *net) { return net->gw_port_text; }
const char *hplc_net_name(const hplc_net *net) { return net->spec.name; }

int hplc_net_write_stats(const hplc_net *net, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    uint64_t req = 0, ans = 0, loss = 0, size = 0, absent = 0, blocks = 0, sets = 0;
    int64_t rtt = 0;
    for (size_t i = 0; i < net->n; i++) {
        const node *nd = &net->nodes[i];
        req += nd->requests;
        ans += nd->answers;
        loss += nd->dropped_loss;
        size += nd->dropped_size;
        absent += nd->dropped_absent;
        rtt += nd->rtt_sum_ns;
        blocks += dlms_meter_blocks_sent(nd->meter);
        sets += dlms_meter_clock_sets(nd->meter);
    }
    fprintf(f, "{\"network\":\"%s\",\"nodes\":%zu,\"requests\":%llu,\"answers\":%llu,"
               "\"dropped_loss\":%llu,\"dropped_size\":%llu,\"dropped_absent\":%llu,"
               "\"blocks\":%llu,\"clock_sets\":%llu,\"rtt_sum_ns\":%lld,\"span_ns\":%lld}\n",
            net->spec.name, net->n, (unsigned long long)req, (unsigned long long)ans,
            (unsigned long long)loss, (unsigned long long)size, (unsigned long long)absent,
            (unsigned long long)blocks, (unsigned long long)sets, (long long)rtt,
            (long long)(net->last_answer_ns - net->first_request_ns));
    return fclose(f);
}

void hplc_net_free(hplc_net *net) {
    if (!net) return;
    if (net->inbox_timer) loop_timer_cancel(net->loop, net->inbox_timer);
    free(net->inbox);
    while (net->pending) {
        packet *p = net->pending;
        net->pending = p->next;
        free(p);
    }
    for (size_t i = 0; i < net->n; i++) {
        node *nd = &net->nodes[i];
        if (nd->fd >= 0) {
            loop_del_fd(net->loop, nd->fd);
            close(nd->fd);
        }
        if (nd->ch) iochan_close(nd->ch);
        dlms_meter_free(nd->meter);
    }
    free(net->nodes);
    free(net);
}
