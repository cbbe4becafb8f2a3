/* iochan: counted I/O channels (see iochan.h).
 *
 * The registry is a plain array of records in open order. A closed channel's
 * record stays (its counters still describe what was exchanged), so the bench
 * can match bytes sent before a close; iochan_registry_free() drops them all.
 * The registry is one per process: the gateway has one set of channels, and
 * the bench empties it between scenarios. */
#include "core/iochan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct iochan {
    int fd;
    char *name;
    bool datagram;
    bool open;
    uint64_t rx, tx;
};

static iochan **registry;
static size_t n_registry, cap_registry;

static bool registry_grow(void) {
    if (n_registry < cap_registry)
        return true;
    size_t cap = cap_registry ? cap_registry * 2 : 8;
    iochan **grown = realloc(registry, cap * sizeof *grown);
    if (!grown)
        return false;
    registry = grown;
    cap_registry = cap;
    return true;
}

iochan *iochan_open(int fd, const char *name, bool datagram) {
    if (fd < 0 || !name) {
        errno = EINVAL;
        return NULL;
    }
    iochan *ch = calloc(1, sizeof *ch);
    if (!ch || !(ch->name = strdup(name)) || !registry_grow()) {
        if (ch)
            free(ch->name);
        free(ch);
        errno = ENOMEM;
        return NULL;
    }
    ch->fd = fd;
    ch->datagram = datagram;
    ch->open = true;
    registry[n_registry++] = ch;
    return ch;
}

void iochan_close(iochan *ch) {
    if (!ch)
        return;
    ch->open = false;
    ch->fd = -1;
}

/* A datagram counts once, whatever its size; a stream counts bytes. */
static void count(uint64_t *counter, const iochan *ch, ssize_t n) {
    if (n > 0)
        *counter += ch->datagram ? 1u : (uint64_t)n;
    else if (n == 0 && ch->datagram)
        *counter += 1u; /* an empty datagram is still one datagram */
}

ssize_t iochan_read(iochan *ch, void *buf, size_t len) {
    if (!ch || !ch->open) {
        errno = EBADF;
        return -1;
    }
    ssize_t n = read(ch->fd, buf, len);
    if (n >= 0)
        count(&ch->rx, ch, n);
    return n;
}

ssize_t iochan_write(iochan *ch, const void *buf, size_t len) {
    if (!ch || !ch->open) {
        errno = EBADF;
        return -1;
    }
    ssize_t n = write(ch->fd, buf, len);
    if (n >= 0)
        count(&ch->tx, ch, n);
    return n;
}

ssize_t iochan_recvfrom(iochan *ch, void *buf, size_t len, struct sockaddr *from,
                        socklen_t *fromlen) {
    if (!ch || !ch->open) {
        errno = EBADF;
        return -1;
    }
    ssize_t n = recvfrom(ch->fd, buf, len, 0, from, fromlen);
    if (n >= 0)
        count(&ch->rx, ch, n);
    return n;
}

ssize_t iochan_sendto(iochan *ch, const void *buf, size_t len, const struct sockaddr *to,
                      socklen_t tolen) {
    if (!ch || !ch->open) {
        errno = EBADF;
        return -1;
    }
    ssize_t n = sendto(ch->fd, buf, len, 0, to, tolen);
    if (n >= 0)
        count(&ch->tx, ch, n);
    return n;
}

void iochan_count_rx(iochan *ch, uint64_t n) {
    if (ch)
        ch->rx += n;
}

void iochan_count_tx(iochan *ch, uint64_t n) {
    if (ch)
        ch->tx += n;
}

int iochan_fd(const iochan *ch) {
    return ch ? ch->fd : -1;
}

const char *iochan_name(const iochan *ch) {
    return ch ? ch->name : "";
}

uint64_t iochan_rx(const iochan *ch) {
    return ch ? ch->rx : 0;
}

uint64_t iochan_tx(const iochan *ch) {
    return ch ? ch->tx : 0;
}

size_t iochan_count(void) {
    return n_registry;
}

const iochan *iochan_at(size_t index) {
    return index < n_registry ? registry[index] : NULL;
}

bool iochan_is_open(const iochan *ch) {
    return ch && ch->open;
}

void iochan_registry_free(void) {
    for (size_t i = 0; i < n_registry; i++) {
        free(registry[i]->name);
        free(registry[i]);
    }
    free(registry);
    registry = NULL;
    n_registry = cap_registry = 0;
}
