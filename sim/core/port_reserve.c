/* port_reserve: ports locked across processes (see port_reserve.h). */
#define _DEFAULT_SOURCE
#include "sim/core/port_reserve.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HELD 256

static int held_fd[MAX_HELD];
static int n_held;

static int kernel_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static void lock_dir(char *out, size_t cap) {
    const char *env = getenv("HIL_PORT_LOCKS");
    if (env && *env) snprintf(out, cap, "%s", env);
    else snprintf(out, cap, "/tmp/hil-ports-%u", (unsigned)getuid());
    mkdir(out, 0700); /* exists already: fine */
}

/* The lock on port's file, or -1 when another process holds it. */
static int lock_port(const char *dir, int port) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%d", dir, port);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int port_reserve(void) {
    char dir[4096];
    lock_dir(dir, sizeof dir);
    for (int tries = 0; tries < 64; tries++) {
        int port = kernel_free_port();
        if (port < 0) return -1;
        if (n_held == MAX_HELD) return port; /* cannot hold more: unlocked, as before */
        int fd = lock_port(dir, port);
        if (fd < 0) continue; /* another bench process has it: ask again */
        held_fd[n_held++] = fd;
        return port;
    }
    return -1;
}

void port_reserve_release_all(void) {
    while (n_held > 0) close(held_fd[--n_held]);
}
