/* transport file: a report becomes <dir>/<name>, written to <name>.tmp, flushed
 * to disk and renamed, so a reader never sees half a report. The name carries
 * the report id, so writing the same report again (a redelivery after a crash)
 * replaces it with identical bytes instead of adding a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text_file.h"
#include "north/report/report_transport.h"

typedef struct file_transport {
    rpt_transport base;
    char *dir;
} file_transport;

typedef struct bytes {
    const char *body;
    size_t len;
} bytes;

static void write_bytes(FILE *f, const void *arg) {
    const bytes *b = arg;
    fwrite(b->body, 1, b->len, f);
}

/* The rename itself is durable only once the directory is synced: before the
 * outbox forgets a report, its file must survive a power cut too. */
static bool sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* Synced to disk before the rename: a report the outbox counts as delivered is there. */
static bool write_file(const char *dir, const char *path, const char *body, size_t len) {
    char err[256];
    bytes b = {body, len};
    return text_file_replace(path, write_bytes, &b, true, err, sizeof err) && sync_dir(dir);
}

/* mkdir -p: create each missing component; fine if it exists as a directory. */
static int make_dirs(const char *path) {
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *c = p + 1; rc == 0; c++) {
        bool end = *c == '\0';
        if (*c == '/' || end) {
            *c = '\0';
            struct stat st;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                rc = -1;
            else if (stat(p, &st) != 0)
                rc = -1;
            else if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                rc = -1;
            }
            if (end)
                break;
            *c = '/';
        }
    }
    free(p);
    return rc;
}

static void file_send(rpt_transport *t, const store_msg *msg) {
    file_transport *ft = (file_transport *)t;
    char path[4096], why[256] = "";
    snprintf(path, sizeof path, "%s/%s", ft->dir, msg->name);
    bool ok = make_dirs(ft->dir) == 0 && write_file(ft->dir, path, msg->body, msg->len);
    if (!ok) {
        snprintf(why, sizeof why, "cannot write %.160s: %.60s", path, strerror(errno));
        log_error("report", "%s", why);
    }
    t->hooks.sent(t->hooks.ctx, msg->id, ok, why);
}

static void file_free(rpt_transport *t) {
    file_transport *ft = (file_transport *)t;
    free(ft->dir);
    free(ft);
}

rpt_transport *transport_file_at(const char *dir) {
    if (make_dirs(dir) != 0)
        return NULL;
    file_transport *ft = calloc(1, sizeof *ft);
    if (ft)
        ft->dir = strdup(dir);
    if (!ft || !ft->dir) {
        free(ft);
        return NULL;
    }
    ft->base.kind = &transport_file_kind;
    return &ft->base;
}

static rpt_transport *file_parse(const cfg_node *map, const char *gateway, const char *instance,
                                 cfg_err *err) {
    static const char *const keys[] = {"dir", NULL};
    const cfg_node *dir = cfg_require(map, "dir", CFG_SCALAR, err);
    if (!cfg_only_keys(map, keys, err) || !dir)
        return NULL;
    if (!*dir->scalar) {
        cfg_fail(err, dir, "transport.file.dir: empty directory name");
        return NULL;
    }
    rpt_transport *t = transport_file_at(dir->scalar);
    if (!t)
        cfg_fail(err, dir, "transport.file.dir: cannot create %s: %s", dir->scalar,
                 strerror(errno));
    return t;
}

const rpt_transport_kind transport_file_kind = {
    .name = "file", .needs_loop = false, .parse = file_parse, .send = file_send, .free = file_free};
