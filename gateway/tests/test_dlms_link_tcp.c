/* The DLMS wrapper over TCP (gateway/south/dlms/dlms_link_tcp.c) against a plain
 * loopback listener played by the test: the frame on the wire, answers that
 * arrive in pieces and several in one write, a frame for another wPort, the
 * meter closing, a refused connect and the reconnect delay. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "south/dlms/dlms_link.h"
#include "core/iochan.h"
#include "tests/test.h"

typedef struct seen {
    uint8_t apdu[4][64];
    size_t len[4];
    int n;
    char error[160];
    int errors;
} seen;

static void on_apdu(void *arg, const uint8_t *apdu, size_t len) {
    seen *s = arg;
    if (s->n < 4 && len <= sizeof s->apdu[0]) {
        memcpy(s->apdu[s->n], apdu, len);
        s->len[s->n] = len;
    }
    s->n++;
}

static void on_error(void *arg, const char *why) {
    seen *s = arg;
    snprintf(s->error, sizeof s->error, "%s", why);
    s->errors++;
}

static int listen_any(uint16_t *port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 2) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

/* Run the loop for up to a second (real time) until *cond is non-zero. */
static void run_until(gw_loop *loop, const int *cond) {
    int64_t end = clock_mono_ns() + NS_PER_S;
    while (!*cond && clock_mono_ns() < end) loop_run_once(loop, 10 * NS_PER_MS);
}

static void run_a_while(gw_loop *loop) {
    for (int i = 0; i < 5; i++) loop_run_once(loop, 10 * NS_PER_MS);
}

static int accept_one(gw_loop *loop, int lfd) {
    int64_t end = clock_mono_ns() + NS_PER_S;
    while (clock_mono_ns() < end) {
        int fd = accept(lfd, NULL, NULL);
        if (fd >= 0) return fd;
        loop_run_once(loop, 10 * NS_PER_MS);
    }
    return -1;
}

static size_t read_some(int fd, uint8_t *buf, size_t want) {
    size_t got = 0;
    int64_t end = clock_mono_ns() + NS_PER_S;
    while (got < want && clock_mono_ns() < end) {
        ssize_t n = recv(fd, buf + got, want - got, MSG_DONTWAIT);
        if (n > 0) got += (size_t)n;
        else if (n == 0) break;
    }
    return got;
}

int main(void) {
    uint16_t port = 0;
    int lfd = listen_any(&port);
    CHECK(lfd >= 0);
    gw_loop *loop = loop_new();
    dlms_network_cfg net = {.name = "n", .transport = DLMS_TR_TCP, .host = "127.0.0.1",
                            .max_bytes = 80, .reconnect_delay_ns = 0};
    dlms_meter_cfg meter = {.name = "m", .port = port, .client = 16, .logical = 1};
    seen s = {0};
    char err[160] = "";
    dlms_link *l = dlms_link_open(&net, &meter, loop, on_apdu, on_error, &s, err, sizeof err);
    CHECK_MSG(l != NULL, "%s", err);
    CHECK_INT(dlms_link_max_apdu(l), 72);

    /* the request: wrapper version 1, source wPort 16, destination 1, length 3 */
    static const uint8_t req[] = {0xC0, 0x01, 0xC1};
    CHECK_INT(dlms_link_send(l, req, sizeof req), 0);
    int cfd = accept_one(loop, lfd);
    CHECK(cfd >= 0);
    run_a_while(loop); /* the connect completes, the buffered request goes out */
    uint8_t wire[16];
    static const uint8_t want[] = {0x00, 0x01, 0x00, 0x10, 0x00, 0x01, 0x00, 0x03, 0xC0, 0x01, 0xC1};
    CHECK_INT(read_some(cfd, wire, sizeof want), sizeof want);
    CHECK(memcmp(wire, want, sizeof want) == 0);

    /* the channel is named tcp:<meter port>:<our port> */
    char name[48];
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    getpeername(cfd, (struct sockaddr *)&peer, &plen);
    snprintf(name, sizeof name, "tcp:%u:%u", port, ntohs(peer.sin_port));
    bool named = false;
    for (size_t i = 0; i < iochan_count(); i++)
        if (strcmp(iochan_name(iochan_at(i)), name) == 0 && iochan_tx(iochan_at(i)) == sizeof want) named = true;
    CHECK_MSG(named, "no channel %s with %zu bytes sent", name, sizeof want);

    /* an answer in two pieces, then a frame for another wPort and one more answer in one write */
    static const uint8_t a1[] = {0x00, 0x01, 0x00, 0x01, 0x00, 0x10, 0x00, 0x04, 0xC4, 0x01, 0xC1, 0x00};
    CHECK_INT(write(cfd, a1, 5), 5);
    run_a_while(loop);
    CHECK_INT(s.n, 0);
    CHECK_INT(write(cfd, a1 + 5, sizeof a1 - 5), sizeof a1 - 5);
    static const uint8_t more[] = {0x00, 0x01, 0x00, 0x01, 0x00, 0x11, 0x00, 0x02, 0xAA, 0xBB,  /* to wPort 17 */
                                   0x00, 0x01, 0x00, 0x01, 0x00, 0x10, 0x00, 0x02, 0xC4, 0x02};
    CHECK_INT(write(cfd, more, sizeof more), sizeof more);
    run_until(loop, &(int){0}); /* a second of loop: both pieces and the second write */
    CHECK_INT(s.n, 2);
    CHECK_INT(s.len[0], 4);
    CHECK(memcmp(s.apdu[0], a1 + 8, 4) == 0);
    CHECK_INT(s.len[1], 2);
    CHECK(s.apdu[1][0] == 0xC4 && s.apdu[1][1] == 0x02);
    CHECK_INT(s.errors, 0);

    /* too large for max_bytes 80: 73 + 8 */
    uint8_t big[73] = {0xC0};
    CHECK_INT(dlms_link_send(l, big, sizeof big), -1);

    /* the meter closes: reported as an error, from the loop */
    close(cfd);
    run_until(loop, &s.errors);
    CHECK_INT(s.errors, 1);
    CHECK_STR(s.error, "connection closed by the meter");

    /* nobody listens any more: the connect is refused, reported from the loop */
    close(lfd);
    CHECK_INT(dlms_link_send(l, req, sizeof req), 0);
    CHECK_INT(s.errors, 1); /* not from inside the send */
    run_until(loop, &(int){0});
    CHECK_INT(s.errors, 2);
    CHECK_STR(s.error, "connect: Connection refused");
    dlms_link_free(l);

    /* with a reconnect delay, a send right after a failure does not even try */
    net.reconnect_delay_ns = 60 * NS_PER_S;
    l = dlms_link_open(&net, &meter, loop, on_apdu, on_error, &s, err, sizeof err);
    CHECK(l != NULL);
    CHECK_INT(dlms_link_send(l, req, sizeof req), 0);
    run_until(loop, &(int){0});
    CHECK_INT(s.errors, 3);
    CHECK_INT(dlms_link_send(l, req, sizeof req), -1);
    dlms_link_free(l);

    /* a host that is not an IPv4 address is a configuration error */
    net.host = "meters.example";
    CHECK(dlms_link_open(&net, &meter, loop, on_apdu, on_error, &s, err, sizeof err) == NULL);
    CHECK(strstr(err, "not an IPv4 address") != NULL);

    loop_free(loop);
    iochan_registry_free();
    return test_summary("dlms_link_tcp");
}
