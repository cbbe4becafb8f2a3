/* air: radio physics and the UDP carrier (see air.h). */
#include "sim/wmbus/air.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* EN 13757-4: S1 preamble n >= 279 chip pairs + 18-chip sync word; T1 n >= 19
 * chip pairs + 10-chip sync word; C1 16 chip pairs + 32 chips of sync words
 * (the second one says frame format A or B). Postamble 2 chips in S and T. */
static const air_mode_info modes[AIR_N_MODES] = {
    [AIR_S1] = {"S1", 32768, 16, 2 * 279 + 18, 2, 868300, WMBUS_FMT_A},
    [AIR_T1] = {"T1", 100000, 12, 2 * 19 + 10, 2, 868950, WMBUS_FMT_A},
    [AIR_C1] = {"C1", 100000, 8, 2 * 16 + 32, 0, 868950, WMBUS_FMT_B},
};

const air_mode_info *air_mode_get(air_mode m) {
    return (unsigned)m < AIR_N_MODES ? &modes[m] : NULL;
}

int air_mode_parse(const char *name) {
    for (int i = 0; i < AIR_N_MODES; i++)
        if (strcasecmp(name, modes[i].name) == 0)
            return i;
    return -1;
}

int64_t air_time_ns(air_mode m, size_t n) {
    const air_mode_info *mi = air_mode_get(m);
    if (!mi)
        return 0;
    uint64_t chips = mi->header_chips + (uint64_t)n * mi->chips_per_byte + mi->post_chips;
    return (int64_t)((chips * 1000000000ULL + mi->chip_rate / 2) / mi->chip_rate);
}

bool air_overlap(const air_tx *a, const air_tx *b) {
    return a->start_ns < b->start_ns + b->duration_ns && b->start_ns < a->start_ns + a->duration_ns;
}

/* ---- datagrams -------------------------------------------------------------- */

#define MAGIC "AIR1"
#define HEADER_LEN (4 + 1 + 1 + 4 + 8 + 8 + 2 + 4 + 2)

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

size_t air_tx_encode(const air_tx *tx, uint8_t *out, size_t cap) {
    if (cap < HEADER_LEN + tx->len || tx->len > AIR_BYTES_MAX)
        return 0;
    memcpy(out, MAGIC, 4);
    out[4] = tx->mode;
    out[5] = tx->format;
    put_le(out + 6, tx->channel_khz, 4);
    put_le(out + 10, (uint64_t)tx->start_ns, 8);
    put_le(out + 18, (uint64_t)tx->duration_ns, 8);
    put_le(out + 26, (uint64_t)(uint16_t)(int16_t)lround(tx->rssi_dbm * 100.0), 2);
    put_le(out + 28, tx->sender, 4);
    put_le(out + 32, tx->len, 2);
    memcpy(out + HEADER_LEN, tx->bytes, tx->len);
    return HEADER_LEN + tx->len;
}

bool air_tx_decode(const uint8_t *in, size_t n, air_tx *tx) {
    if (n < HEADER_LEN || memcmp(in, MAGIC, 4) != 0)
        return false;
    tx->mode = in[4];
    tx->format = in[5];
    tx->channel_khz = (uint32_t)get_le(in + 6, 4);
    tx->start_ns = (int64_t)get_le(in + 10, 8);
    tx->duration_ns = (int64_t)get_le(in + 18, 8);
    tx->rssi_dbm = (int16_t)get_le(in + 26, 2) / 100.0;
    tx->sender = (uint32_t)get_le(in + 28, 4);
    tx->len = (size_t)get_le(in + 32, 2);
    if (tx->len > AIR_BYTES_MAX || HEADER_LEN + tx->len != n || tx->mode >= AIR_N_MODES)
        return false;
    memcpy(tx->bytes, in + HEADER_LEN, tx->len);
    return true;
}

/* ---- the carrier ------------------------------------------------------------ */

static void on_datagram(gw_loop *loop, int fd, unsigned events, void *arg) {
    air *a = arg;
    uint8_t buf[HEADER_LEN + AIR_BYTES_MAX + 16];
    for (;;) {
        ssize_t n = iochan_recvfrom(a->rx_ch, buf, sizeof buf, NULL, NULL);
        if (n < 0)
            return; /* EAGAIN: all read */
        air_tx tx;
        if (!air_tx_decode(buf, (size_t)n, &tx))
            continue;
        a->carried++;
        for (size_t i = 0; i < a->n_listeners; i++)
            a->listeners[i](a->listener_args[i], &tx);
    }
}

static int udp_socket(struct sockaddr_in *bound) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    /* a dense cell sends bursts: room for many datagrams before the air reads */
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        close(fd);
        return -1;
    }
    if (bound)
        *bound = sa;
    return fd;
}

int air_open(air *a, gw_loop *loop, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    a->loop = loop;
    a->tx_fd = udp_socket(NULL);
    a->rx_fd = udp_socket(&a->rx_addr);
    if (a->tx_fd < 0 || a->rx_fd < 0) {
        snprintf(err, errlen, "air: cannot open UDP sockets: %s", strerror(errno));
        air_close(a);
        return -1;
    }
    a->tx_ch = iochan_open(a->tx_fd, "bench:air", true);
    a->rx_ch = iochan_open(a->rx_fd, "bench:air", true);
    if (!a->tx_ch || !a->rx_ch || loop_add_fd(loop, a->rx_fd, LOOP_READ, on_datagram, a) < 0) {
        snprintf(err, errlen, "air: out of memory");
        air_close(a);
        return -1;
    }
    return 0;
}

void air_close(air *a) {
    if (a->rx_fd > 0) {
        loop_del_fd(a->loop, a->rx_fd);
        close(a->rx_fd);
    }
    if (a->tx_fd > 0)
        close(a->tx_fd);
    iochan_close(a->tx_ch);
    iochan_close(a->rx_ch);
    a->tx_ch = a->rx_ch = NULL;
    a->tx_fd = a->rx_fd = -1;
}

int air_add_listener(air *a, air_listener fn, void *arg) {
    if (a->n_listeners == AIR_MAX_LISTENERS)
        return -1;
    a->listeners[a->n_listeners] = fn;
    a->listener_args[a->n_listeners++] = arg;
    return 0;
}

int air_transmit(air *a, const air_tx *tx) {
    uint8_t buf[HEADER_LEN + AIR_BYTES_MAX];
    size_t n = air_tx_encode(tx, buf, sizeof buf);
    if (n == 0)
        return -1;
    ssize_t w = iochan_sendto(a->tx_ch, buf, n, (struct sockaddr *)&a->rx_addr, sizeof a->rx_addr);
    if (w != (ssize_t)n)
        return -1;
    a->sent++;
    return 0;
}
