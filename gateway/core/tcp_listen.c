/* tcp_listen: listening sockets and named accepts (see tcp_listen.h). */
#include "core/tcp_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_listen_open(const char *bind_ip, int port, char *why, size_t cap) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_ip, &a.sin_addr) != 1) {
        snprintf(why, cap, "bind address %s is not an IPv4 address", bind_ip);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0) {
        snprintf(why, cap, "cannot listen on %s:%d: %s", bind_ip, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int tcp_listen_accept(int listen_fd, int port, char *name, size_t cap) {
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(listen_fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
        snprintf(name, cap, "tcp:%d:%d", port, ntohs(peer.sin_port));
    return fd;
}
