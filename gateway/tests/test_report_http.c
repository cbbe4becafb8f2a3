/* HTTP transport of reports against a tiny HTTP server on loopback, run on
 * the same event loop as the gateway code (real clock: libcurl keeps its own
 * time). The server records every POST (X-Report-Id, X-Report-Name,
 * Content-Type, body) and answers with the status the test scripts:
 *   - a report arrives with its id, name, content type and the body as queued;
 *   - a 500 answer is retried after retry_delay with the same id and body;
 *   - while the server is gone (port closed) reports stay queued, and when it
 *     is back they go out in order, each once;
 *   - a server that takes the request and never answers (hangs): the transport
 *     gives up after its timeout and sends the same report again. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "tests/report_fake.h"
#include "tests/test.h"

#define MAX_POSTS 32

typedef struct post {
    long long id;
    char name[160], content_type[64];
    char *body;
    size_t len;
    int64_t at_ns;
    int status; /* what the server answered */
} post;

typedef struct server {
    gw_loop *loop;
    int port, listen_fd, conn_fd;
    char buf[16384];
    size_t got;
    int answers[MAX_POSTS]; /* status per request, 0 = 200, -1 = never answer (hang) */
    post posts[MAX_POSTS];
    size_t n;
} server;

static void header(const char *head, const char *name, char *out, size_t cap) {
    out[0] = '\0';
    const char *h = strcasestr(head, name);
    if (!h)
        return;
    h += strlen(name);
    while (*h == ' ')
        h++;
    size_t k = strcspn(h, "\r\n");
    snprintf(out, cap, "%.*s", (int)(k < cap ? k : cap - 1), h);
}

static void conn_close(server *s) {
    loop_del_fd(s->loop, s->conn_fd);
    close(s->conn_fd);
    s->conn_fd = -1;
    s->got = 0;
}

/* A whole request is in buf: record it, answer, close. */
static void answer(server *s, const char *end_of_head, size_t content_length) {
    post *p = &s->posts[s->n];
    char value[160];
    header(s->buf, "\r\nX-Report-Id:", value, sizeof value);
    p->id = atoll(value);
    header(s->buf, "\r\nX-Report-Name:", p->name, sizeof p->name);
    header(s->buf, "\r\nContent-Type:", p->content_type, sizeof p->content_type);
    p->body = strndup(end_of_head + 4, content_length);
    p->len = content_length;
    p->at_ns = clock_mono_ns();
    p->status = s->answers[s->n] ? s->answers[s->n] : 200;
    s->n++;
    if (p->status < 0) { /* hang: keep the connection, answer nothing, until the client leaves */
        s->got = 0;
        return;
    }
    char reply[128];
    int k = snprintf(reply, sizeof reply,
                     "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", p->status);
    if (write(s->conn_fd, reply, (size_t)k) != k)
        fprintf(stderr, "server: short write\n");
    conn_close(s);
}

static void on_conn(gw_loop *loop, int fd, unsigned events, void *arg) {
    server *s = arg;
    ssize_t r = read(fd, s->buf + s->got, sizeof s->buf - 1 - s->got);
    if (r <= 0) {
        if (r == 0 || errno != EAGAIN)
            conn_close(s);
        return;
    }
    s->got += (size_t)r;
    s->buf[s->got] = '\0';
    const char *end = strstr(s->buf, "\r\n\r\n");
    char cl[32];
    if (!end)
        return;
    header(s->buf, "\r\nContent-Length:", cl, sizeof cl);
    size_t need = (size_t)atoll(cl);
    if (s->got >= (size_t)(end + 4 - s->buf) + need && s->n < MAX_POSTS)
        answer(s, end, need);
}

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    server *s = arg;
    int c = accept(fd, NULL, NULL);
    if (c < 0)
        return;
    if (s->conn_fd >= 0) { /* one request at a time is all the transport does */
        close(c);
        return;
    }
    fcntl(c, F_SETFL, O_NONBLOCK);
    s->conn_fd = c;
    s->got = 0;
    loop_add_fd(loop, c, LOOP_READ, on_conn, s);
}

static bool server_listen(server *s) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 4) != 0)
        return false;
    socklen_t len = sizeof a;
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    loop_add_fd(s->loop, s->listen_fd, LOOP_READ, on_accept, s);
    return true;
}

static void server_stop(server *s) {
    if (s->conn_fd >= 0)
        conn_close(s);
    loop_del_fd(s->loop, s->listen_fd);
    close(s->listen_fd);
    s->listen_fd = -1;
}

/* Run the loop until the server has n posts and the report queue is idle, or 10 s. */
static void run_for_posts(server *s, report *r, size_t n) {
    int64_t deadline = clock_mono_ns() + 10 * NS_PER_S;
    while (clock_mono_ns() < deadline) {
        loop_run_once(s->loop, 20 * NS_PER_MS);
        if (s->n >= n && !r->inst[0].busy && !r->inst[0].kick_timer)
            return;
    }
}

/* Run the loop for ms milliseconds. */
static void run_ms(gw_loop *loop, int64_t ms) {
    int64_t until = clock_mono_ns() + ms * NS_PER_MS;
    while (clock_mono_ns() < until)
        loop_run_once(loop, 10 * NS_PER_MS);
}

static void cycle(datahub *hub, int k) {
    fake_readout(hub, 1000 + k, clock_wall_ns());
    datahub_cycle_end(hub, "mbus:bus1", clock_wall_ns());
}

static bool has_volume(const post *p, int k) {
    char want[32];
    snprintf(want, sizeof want, "\"VAL\": \"%d\"", 1000 + k);
    return p->body && strstr(p->body, want) != NULL;
}

int main(void) {
    clock_use_real();
    server s = {.conn_fd = -1, .listen_fd = -1};
    s.loop = loop_new();
    CHECK(server_listen(&s));
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "reports:\n  instances:\n"
             "    - {name: push, format: json, retries: 1, retry_delay: 200ms,\n"
             "       transport: {http: {url: 'http://127.0.0.1:%d/upload', timeout: 2s}}}\n",
             s.port);
    datahub *hub = datahub_new();
    report *r = fake_configure(yaml, "gw-http");
    CHECK(r != NULL);
    if (!r)
        return test_summary("test_report_http");
    report_start(r, hub, s.loop, NULL);

    /* 1: delivered at once, with its headers. */
    cycle(hub, 1);
    run_for_posts(&s, r, 1);
    CHECK_INT(s.n, 1);
    CHECK_INT(s.posts[0].id, 1);
    CHECK_STR(s.posts[0].content_type, "application/json");
    CHECK_MSG(strstr(s.posts[0].name, "gw-http_") == s.posts[0].name &&
                  strstr(s.posts[0].name, "_push_mbus-bus1_1.json") != NULL,
              "name %s", s.posts[0].name);
    CHECK(has_volume(&s.posts[0], 1));
    CHECK(strstr(s.posts[0].body, "\"REPORT_ID\": 1,") != NULL); /* the header's id, in the body */
    CHECK(s.posts[0].len > 0 && s.posts[0].body[s.posts[0].len - 1] == '\n');
    CHECK_INT(report_queued(&r->inst[0]), 0);

    /* 2: the server fails once (500): the same report again after retry_delay. */
    s.answers[1] = 500;
    cycle(hub, 2);
    run_for_posts(&s, r, 3);
    CHECK_INT(s.n, 3);
    CHECK_INT(s.posts[1].id, 2);
    CHECK_INT(s.posts[2].id, 2);
    CHECK_INT(s.posts[1].status, 500);
    CHECK_INT(s.posts[2].status, 200);
    CHECK(s.posts[1].body && s.posts[2].body && strcmp(s.posts[1].body, s.posts[2].body) == 0);
    CHECK_MSG(s.posts[2].at_ns - s.posts[1].at_ns >= 200 * NS_PER_MS, "retry after %lld ms",
              (long long)((s.posts[2].at_ns - s.posts[1].at_ns) / NS_PER_MS));
    CHECK_INT(report_queued(&r->inst[0]), 0);

    /* 3, 4: the server is gone; both stay queued (retries used up). */
    server_stop(&s);
    cycle(hub, 3);
    run_ms(s.loop, 600);
    cycle(hub, 4);
    run_ms(s.loop, 600);
    CHECK_INT(report_queued(&r->inst[0]), 2);
    CHECK_INT(s.n, 3);

    /* Back on the same port: the next report takes the queue along, in order. */
    CHECK(server_listen(&s));
    cycle(hub, 5);
    run_for_posts(&s, r, 6);
    CHECK_INT(s.n, 6);
    for (size_t i = 3; i < s.n; i++) {
        CHECK_INT(s.posts[i].id, (long long)i);
        CHECK(has_volume(&s.posts[i], (int)i));
        CHECK_INT(s.posts[i].status, 200);
    }
    CHECK_INT(report_queued(&r->inst[0]), 0);

    /* 6: the server takes the request and hangs: after the 2 s timeout the same
     * report again, answered; nothing else went out meanwhile. */
    s.answers[6] = -1;
    cycle(hub, 6);
    run_for_posts(&s, r, 8);
    CHECK_INT(s.n, 8);
    CHECK_INT(s.posts[6].id, 6);
    CHECK_INT(s.posts[7].id, 6);
    CHECK_INT(s.posts[6].status, -1);
    CHECK_INT(s.posts[7].status, 200);
    CHECK(s.posts[6].body && s.posts[7].body && strcmp(s.posts[6].body, s.posts[7].body) == 0);
    CHECK_MSG(s.posts[7].at_ns - s.posts[6].at_ns >= 2 * NS_PER_S, "resent after %lld ms",
              (long long)((s.posts[7].at_ns - s.posts[6].at_ns) / NS_PER_MS));
    CHECK_INT(report_queued(&r->inst[0]), 0);

    report_free(r);
    server_stop(&s);
    datahub_free(hub);
    loop_free(s.loop);
    for (size_t i = 0; i < s.n; i++)
        free(s.posts[i].body);
    return test_summary("test_report_http");
}
