/* vclock: virtual time driven by the bench (see vclock.h, docs/virtual-time.md).
 *
 * Why the idle line carries counters: a byte written to a pty or a socket is
 * in flight for a moment inside the kernel. The bench may only move time on
 * when both sides have seen every byte the other wrote, and only the counters
 * of both sides together prove that. */
#include "core/vclock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"

#define MOD "vclock"
#define LINE_MAX_LEN 1024

struct vclock {
    int fd;
    gw_loop *loop;
    char in[LINE_MAX_LEN];
    size_t in_len;
    bool hello;
    int64_t wall_start_ns;
    uint64_t seq;     /* last advance received */
    char *last_idle;  /* last idle line sent */
    int status;
};

int vclock_field(const char *line, const char *key, char *out, size_t cap) {
    size_t klen = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += klen) {
        bool word_start = p == line || p[-1] == ' ';
        if (!word_start || p[klen] != '=')
            continue;
        const char *v = p + klen + 1;
        size_t n = strcspn(v, " \n");
        if (n >= cap)
            return 0;
        memcpy(out, v, n);
        out[n] = '\0';
        return 1;
    }
    return 0;
}

static bool field_i64(const char *line, const char *key, int64_t *out) {
    char text[32], *end;
    if (!vclock_field(line, key, text, sizeof text))
        return false;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end)
        return false;
    *out = v;
    return true;
}

/* ---- idle line -------------------------------------------------------------- */

typedef struct text {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = t->s ? vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap) : -1;
        va_end(ap);
        if (n >= 0 && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 256;
        if (n >= 0 && cap < t->len + (size_t)n + 1)
            cap = t->len + (size_t)n + 1;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
}

/* Is the name of channel i the first of its kind in the registry? */
static bool first_of_name(size_t i) {
    const char *name = iochan_name(iochan_at(i));
    for (size_t k = 0; k < i; k++)
        if (strcmp(iochan_name(iochan_at(k)), name) == 0)
            return false;
    return true;
}

char *vclock_idle_line(uint64_t seq, int64_t deadline_ns) {
    text t = {0};
    text_add(&t, "idle seq=%" PRIu64 " deadline=%" PRId64, seq,
             deadline_ns == INT64_MAX ? (int64_t)-1 : deadline_ns);
    size_t n = iochan_count();
    for (size_t i = 0; i < n && !t.failed; i++) {
        if (!first_of_name(i))
            continue;
        const char *name = iochan_name(iochan_at(i));
        uint64_t tx = 0, rx = 0;
        bool open = false;
        for (size_t k = i; k < n; k++) {
            if (strcmp(iochan_name(iochan_at(k)), name) != 0)
                continue;
            tx += iochan_tx(iochan_at(k));
            rx += iochan_rx(iochan_at(k));
            open = open || iochan_is_open(iochan_at(k));
        }
        /* A TCP connection we closed: the bench waits until its end has seen the close. */
        bool closed = !open && strncmp(name, "tcp:", 4) == 0;
        text_add(&t, " %s=%" PRIu64 "/%" PRIu64 "%s", name, tx, rx, closed ? "/closed" : "");
    }
    text_add(&t, "\n");
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* ---- messages from the bench ----------------------------------------------- */

static bool send_line(vclock *vc, const char *line) {
    size_t len = strlen(line), off = 0;
    while (off < len) {
        /* Blocking and small: the bench reads all the time. No SIGPIPE if it died. */
        ssize_t n = send(vc->fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error(MOD, "cannot write to the bench: %s", n < 0 ? strerror(errno) : "closed");
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

static void fail(vclock *vc, const char *why, const char *line) {
    log_error(MOD, "%s%s%s", why, line ? ": " : "", line ? line : "");
    vc->status = 1;
    if (vc->loop)
        loop_stop(vc->loop, 1);
}

static void handle_line(vclock *vc, const char *line) {
    int64_t t, seq, wall;
    if (strncmp(line, "hello ", 6) == 0 && field_i64(line, "wall", &wall)) {
        vc->wall_start_ns = wall;
        vc->hello = true;
    } else if (strncmp(line, "advance ", 8) == 0 && field_i64(line, "seq", &seq) &&
               field_i64(line, "t", &t) && seq >= 0) {
        if (t < clock_mono_ns()) {
            fail(vc, "the bench moved time backwards", line);
            return;
        }
        vc->seq = (uint64_t)seq;
        clock_virtual_advance(t);
    } else if (strcmp(line, "stop") == 0) {
        log_info(MOD, "stop from the bench");
        if (vc->loop)
            loop_stop(vc->loop, 0);
    } else {
        fail(vc, "bad message from the bench", line);
    }
}

/* Read what is there and handle every complete line. Returns false on EOF/error. */
static bool read_lines(vclock *vc) {
    ssize_t n;
    do {
        n = read(vc->fd, vc->in + vc->in_len, sizeof vc->in - vc->in_len - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
    if (n <= 0)
        return false;
    vc->in_len += (size_t)n;
    vc->in[vc->in_len] = '\0';
    char *start = vc->in, *nl;
    while ((nl = strchr(start, '\n')) != NULL) {
        *nl = '\0';
        handle_line(vc, start);
        start = nl + 1;
    }
    vc->in_len -= (size_t)(start - vc->in);
    memmove(vc->in, start, vc->in_len);
    if (vc->in_len == sizeof vc->in - 1) {
        vc->in[vc->in_len] = '\0';
        fail(vc, "line too long from the bench", NULL);
        vc->in_len = 0;
    }
    return true;
}

static void on_control(gw_loop *loop, int fd, unsigned events, void *arg) {
    vclock *vc = arg;
    if (!read_lines(vc)) {
        loop_del_fd(loop, fd);
        fail(vc, "the bench closed the clock socket", NULL);
    }
}

/* ---- life cycle ---------------------------------------------------------------- */

static int connect_unix(const char *path, char *err, size_t errlen) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "clock socket path too long (%zu bytes, at most %zu)", strlen(path), sizeof addr.sun_path - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(err, errlen, "cannot connect to the clock socket %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void on_hello(gw_loop *loop, int fd, unsigned events, void *arg) {
    vclock *vc = arg;
    if (!read_lines(vc)) {
        vc->status = 1;
        loop_stop(loop, 1);
    }
}

/* The hello is awaited in a loop of its own: no waiting outside an event loop,
 * and the real clock still runs (nothing has read the time yet). */
static bool await_hello(vclock *vc, char *err, size_t errlen) {
    gw_loop *loop = loop_new();
    if (!loop || loop_add_fd(loop, vc->fd, LOOP_READ, on_hello, vc) != 0) {
        loop_free(loop);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    int64_t until = clock_host_mono_ns() + VCLOCK_HELLO_TIMEOUT_NS;
    while (!vc->hello && !loop_stopped(loop) && vc->status == 0) {
        int64_t left = until - clock_host_mono_ns();
        if (left <= 0 || loop_run_once(loop, left) < 0)
            break;
    }
    loop_free(loop);
    if (!vc->hello)
        snprintf(err, errlen, "no hello from the bench on the clock socket%s",
                 vc->status ? " (closed or bad message)" : " (timed out)");
    return vc->hello;
}

vclock *vclock_connect(const char *socket_path, char *err, size_t errlen) {
    vclock *vc = calloc(1, sizeof *vc);
    if (!vc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    vc->fd = connect_unix(socket_path, err, errlen);
    if (vc->fd < 0 || !await_hello(vc, err, errlen)) {
        vclock_free(vc);
        return NULL;
    }
    vc->status = 0;
    clock_use_virtual(vc->wall_start_ns);
    return vc;
}

int vclock_attach(vclock *vc, gw_loop *loop) {
    vc->loop = loop;
    return loop_add_fd(loop, vc->fd, LOOP_READ, on_control, vc);
}

/* Tell the bench we are idle, unless it already knows exactly this. */
static bool report_idle(vclock *vc, gw_loop *loop) {
    char *line = vclock_idle_line(vc->seq, loop_next_deadline(loop));
    if (!line) {
        fail(vc, "out of memory", NULL);
        return false;
    }
    if (vc->last_idle && strcmp(vc->last_idle, line) == 0) {
        free(line);
        return true;
    }
    free(vc->last_idle);
    vc->last_idle = line;
    if (!send_line(vc, line)) {
        fail(vc, "the bench went away", NULL);
        return false;
    }
    return true;
}

int vclock_run(vclock *vc, gw_loop *loop) {
    while (!loop_stopped(loop)) {
        int ran = loop_run_once(loop, 0);
        if (ran < 0) {
            fail(vc, "event loop failed", strerror(errno));
            break;
        }
        if (ran > 0 || loop_stopped(loop))
            continue;
        if (!report_idle(vc, loop))
            break;
        /* Virtual time: this waits on fds only (the bench, the ports, signals). */
        if (loop_run_once(loop, -1) < 0) {
            fail(vc, "event loop failed", strerror(errno));
            break;
        }
    }
    return vc->status;
}

void vclock_free(vclock *vc) {
    if (!vc)
        return;
    /* The loop may already be freed: leave it alone, just close the socket. */
    if (vc->fd >= 0)
        close(vc->fd);
    free(vc->last_idle);
    free(vc);
}
