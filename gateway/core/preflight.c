/* preflight: the start's side effects, tried ahead (see preflight.h). */
#include "core/preflight.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p, as the start does for the store and the report folders. */
bool preflight_make_dirs(const char *dir, char *why, size_t cap) {
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(why, cap, "cannot create %s: %s", path, strerror(errno));
            return false;
        }
        if (end)
            return true;
        *p = '/';
    }
}

/* Create and remove a file in dir: access(2) says yes to root on a read-only
 * mount, and only a real file shows that SQLite's journal files will fit. */
bool preflight_dir_writable(const char *dir, char *why, size_t cap) {
    struct stat st;
    if (!preflight_make_dirs(dir, why, cap))
        return false;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, cap, "%s is not a directory", dir);
        return false;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.gwd-check-XXXXXX", dir);
    int fd = mkstemp(probe);
    if (fd < 0) {
        snprintf(why, cap, "cannot write in %s: %s", dir, strerror(errno));
        return false;
    }
    close(fd);
    unlink(probe);
    return true;
}

bool preflight_folder(const cfg_node *node, const char *what, cfg_err *err) {
    char why[4400];
    if (!node || node->kind != CFG_SCALAR || preflight_dir_writable(node->scalar, why, sizeof why))
        return true;
    return cfg_fail(err, node, "%s: %s", what, why);
}

bool preflight_file_readable(const cfg_node *node, const char *what, cfg_err *err) {
    if (!node || node->kind != CFG_SCALAR)
        return true;
    int fd = open(node->scalar, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cfg_fail(err, node, "%s: cannot read %s: %s", what, node->scalar, strerror(errno));
    close(fd);
    return true;
}

/* Bind and release, with SO_REUSEADDR like the servers; 0 = any port, always fine. */
bool preflight_tcp_bindable(const char *bind_ip, long long port, char *why, size_t cap) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port == 0 || inet_pton(AF_INET, bind_ip, &addr.sin_addr) != 1)
        return true; /* a bad address is the server's own error, at start */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
              bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (!ok)
        snprintf(why, cap, "%s", strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

const cfg_node *preflight_port_node(const cfg_node *section) {
    const cfg_node *port = cfg_get(section, "port");
    return port ? port : section;
}
