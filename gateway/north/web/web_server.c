/* web_server: the listening socket, admission of clients, and the state the
 * handlers share (users, sessions, login supervision, the datahub's view). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "north/web/web_conn.h"
#include "north/web/web_ctx.h"
#include "north/web/web_static.h"

static void on_accept(gw_loop *loop, int fd, unsigned events, void *arg) {
    web_server *srv = arg;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return;
    char ip[48];
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    if (srv->n_conns >= (size_t)srv->cfg->max_connections) {
        log_warn(MOD_WEB, "%s: refused, already %zu connections", ip, srv->n_conns);
        close(cfd);
        srv->refused++;
        return;
    }
    if (!web_conn_new(srv, cfd, ip, ntohs(peer.sin_port)))
        close(cfd);
}

static bool open_listener(web_server *srv, char *err, size_t cap) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->cfg->port)};
    inet_pton(AF_INET, srv->cfg->bind, &addr.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0) {
        snprintf(err, cap, "web: cannot listen on %s:%lld: %s", srv->cfg->bind, srv->cfg->port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    socklen_t alen = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    srv->port = ntohs(addr.sin_port);
    srv->listen_fd = fd;
    return loop_add_fd(srv->svc.loop, fd, LOOP_READ, on_accept, srv) == 0 ||
           (snprintf(err, cap, "web: cannot watch the listening socket"), false);
}

/* users.json, or the first admin with the initial password (to be changed). */
static bool load_users(web_server *srv, char *err, size_t cap) {
    bool missing;
    if (web_users_load(&srv->users, srv->users_path, &missing, err, cap))
        return true;
    if (!missing)
        return false;
    memset(&srv->users, 0, sizeof srv->users);
    web_roles_defaults(&srv->users.roles);
    const char *why = web_user_add(&srv->users, "admin", "admin", srv->cfg->initial_password, true);
    if (why) {
        snprintf(err, cap, "web: the first admin: %s", why);
        return false;
    }
    log_info(MOD_WEB, "made user admin with the initial password (to be changed at the first login)");
    return web_users_save(&srv->users, srv->users_path, err, cap);
}

static bool make_dir(const char *dir, char *err, size_t cap) {
    char path[512];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return true;
    snprintf(err, cap, "web: state_dir %s: %s", dir, strerror(errno));
    return false;
}

/* The UI's folder: `ui_dir` must exist when written; the default (beside the
 * binary) may be missing on an API-only install, which is said once. */
static bool find_ui(web_server *srv, char *err, size_t cap) {
    char def[sizeof srv->ui_root];
    const char *dir = srv->cfg->ui_dir;
    if (!dir && web_static_default_root(def, sizeof def))
        dir = def;
    struct stat st;
    if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(srv->ui_root, sizeof srv->ui_root, "%s", dir);
        return true;
    }
    if (srv->cfg->ui_dir) {
        snprintf(err, cap, "web: ui_dir %s is not a folder", srv->cfg->ui_dir);
        return false;
    }
    log_warn(MOD_WEB, "no web UI files at %s: only the API is served", dir ? dir : "(unknown)");
    return true;
}

web_server *web_server_start(const web_config *cfg, const gw_services *svc, char *err, size_t cap) {
    web_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, cap, "web: out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    srv->svc = *svc;
    srv->listen_fd = -1;
    srv->started_mono_ns = clock_mono_ns();
    snprintf(srv->users_path, sizeof srv->users_path, "%s/users.json", cfg->state_dir);
    snprintf(srv->cert_path, sizeof srv->cert_path, "%s/cert.pem", cfg->state_dir);
    snprintf(srv->key_path, sizeof srv->key_path, "%s/key.pem", cfg->state_dir);
    web_sessions_init(&srv->sessions, cfg->session_timeout_ns);
    web_guard_init(&srv->guard, (int)cfg->login_failures, cfg->login_block_ns);
    if (!make_dir(cfg->state_dir, err, cap) || !find_ui(srv, err, cap) || !load_users(srv, err, cap) ||
        (cfg->tls && !(srv->ssl = web_tls_context(cfg, srv->cert_path, srv->key_path, err, cap))) ||
        !open_listener(srv, err, cap)) {
        web_server_stop(srv);
        return NULL;
    }
    web_hub_attach(&srv->hub, svc->hub);
    web_scans_attach(&srv->scans, svc->hub);
    log_info(MOD_WEB, "listening on %s:%d (%s, at most %lld clients)", cfg->bind, srv->port,
             cfg->tls ? "HTTPS" : "plain HTTP", cfg->max_connections);
    return srv;
}

void web_server_stop(web_server *srv) {
    if (!srv)
        return;
    while (srv->conns)
        web_conn_close(srv->conns);
    loop_timer_cancel(srv->svc.loop, srv->turn_timer);
    if (srv->listen_fd >= 0) {
        loop_del_fd(srv->svc.loop, srv->listen_fd);
        close(srv->listen_fd);
    }
    web_hub_detach(&srv->hub);
    web_scans_detach(&srv->scans);
    web_cfgmode_leave(&srv->cfgmode);
    SSL_CTX_free(srv->ssl);
    free(srv);
}

bool web_users_persist(web_server *srv) {
    char err[512];
    if (web_users_save(&srv->users, srv->users_path, err, sizeof err))
        return true;
    log_error(MOD_WEB, "%s", err);
    return false;
}

void web_audit(web_server *srv, const char *kind, const char *text) {
    dh_event e = {.source = "web", .kind = kind, .text = text, .ts_ns = clock_wall_ns()};
    log_info(MOD_WEB, "%s: %s", kind, text);
    datahub_event(srv->svc.hub, &e);
}
