/* transport file: a report becomes <dir>/<name>, written to <name>.tmp, flushed
 * to disk and renamed, so a reader never sees half a report. The name carries
 * the report id, so writing the same report again (a redelivery after a crash)
 * replaces it with identical bytes instead of adding a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void file_send(rpt_transport *t, const store_msg *msg) {
    file_transport *ft = (file_transport *)t;
    char path[4096], why[256] = "";
    snprintf(path, sizeof path, "%s/%s", ft->dir, msg->name);
    bool ok = transport_make_dirs(ft->dir) == 0 && write_file(ft->dir, path, msg->body, msg->len);
    if (!ok) {
        snprintf(why, sizeof why, "cannot write %.160s: %.60s", path, strerror(errno));
        log_error("report", "%s", why);
    }
    t->done(t->arg, msg->id, ok, why);
}

static void file_free(rpt_transport *t) {
    file_transport *ft = (file_transport *)t;
    free(ft->dir);
    free(ft);
}

static const rpt_transport_ops file_ops = {"file", file_send, file_free};

rpt_transport *transport_file_at(const char *dir) {
    if (transport_make_dirs(dir) != 0)
        return NULL;
    file_transport *ft = calloc(1, sizeof *ft);
    if (ft)
        ft->dir = strdup(dir);
    if (!ft || !ft->dir) {
        free(ft);
        return NULL;
    }
    ft->base.ops = &file_ops;
    return &ft->base;
}

rpt_transport *transport_file_new(const cfg_node *map, cfg_err *err) {
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
