/* dlms_link_udp: the wrapper over UDP (see dlms_link.h). One socket per meter,
 * bound to its local_port and connected to host:port, so the channel name
 * "udp:<local port>:<peer port>" is known to both the gateway and the bench. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "south/dlms/dlms_link.h"
#include "codec/dlms/dlms_wrapper.h"
#include "core/iochan.h"
#include "core/log.h"

#define MOD "dlms"
#define DGRAM_MAX 4096

struct dlms_link {
    const dlms_network_cfg *net;
    const dlms_meter_cfg *meter;
    gw_loop *loop;
    int fd;
    iochan *ch;
    dlms_apdu_cb on_apdu;
    dlms_link_error_cb on_error;
    void *arg;
};

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    dlms_link *l = arg;
    uint8_t buf[DGRAM_MAX];
    for (;;) {
        ssize_t n = iochan_read(l->ch, buf, sizeof buf);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
                log_debug(MOD, "%s: receive: %s", l->meter->name, strerror(errno));
            if (errno == ECONNREFUSED) continue; /* ICMP: the node is not there (yet) */
            return;
        }
        wrapper_pdu p;
        const char *why = "";
        long used = wrapper_decode(buf, (size_t)n, &p, &why);
        if (used <= 0 || (size_t)used != (size_t)n) {
            log_debug(MOD, "%s: datagram dropped: %s", l->meter->name,
                      used < 0 ? why : "length does not match the wrapper header");
            continue;
        }
        if (p.dst != l->meter->client || p.src != l->meter->logical) {
            log_debug(MOD, "%s: datagram for wPort %u from %u dropped", l->meter->name, p.dst, p.src);
            continue;
        }
        l->on_apdu(l->arg, p.apdu, p.len);
    }
}

dlms_link *dlms_link_udp_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                              dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                              char *err, size_t errlen) {
    dlms_link *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    *l = (dlms_link){n, m, loop, -1, NULL, on_apdu, on_error, arg};
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(m->local_port)};
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(m->port)};
    local.sin_addr.s_addr = htonl(INADDR_ANY);
    if (inet_pton(AF_INET, n->host, &peer.sin_addr) != 1) {
        snprintf(err, errlen, "dlms %s: host %s is not an IPv4 address", n->name, n->host);
        free(l);
        return NULL;
    }
    l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (l->fd >= 0) setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&local, sizeof local) != 0 ||
        connect(l->fd, (struct sockaddr *)&peer, sizeof peer) != 0) {
        snprintf(err, errlen, "dlms %s: %s: UDP port %u: %s", n->name, m->name, m->local_port,
                 strerror(errno));
        if (l->fd >= 0) close(l->fd);
        free(l);
        return NULL;
    }
    char name[64];
    snprintf(name, sizeof name, "udp:%u:%u", m->local_port, m->port);
    l->ch = iochan_open(l->fd, name, true);
    if (!l->ch || loop_add_fd(loop, l->fd, LOOP_READ, on_readable, l) != 0) {
        snprintf(err, errlen, "dlms %s: cannot watch the socket of %s", n->name, m->name);
        dlms_link_free(l);
        return NULL;
    }
    return l;
}

int dlms_link_udp_send(dlms_link *l, const uint8_t *apdu, size_t len) {
    uint8_t buf[DGRAM_MAX];
    size_t n = dlms_link_wrap(l->net, l->meter, apdu, len, buf, sizeof buf);
    if (!n) return -1;
    ssize_t w = iochan_write(l->ch, buf, n);
    if (w < 0 && errno != ECONNREFUSED) {
        log_debug(MOD, "%s: send: %s", l->meter->name, strerror(errno));
        return -1;
    }
    return 0;
}

size_t dlms_link_udp_max_apdu(const dlms_link *l) {
    return l->net->max_bytes - WRAPPER_HEADER;
}

void dlms_link_udp_free(dlms_link *l) {
    if (!l) return;
    if (l->fd >= 0) {
        loop_del_fd(l->loop, l->fd);
        close(l->fd);
    }
    if (l->ch) iochan_close(l->ch);
    free(l);
}
