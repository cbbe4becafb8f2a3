/* config_preflight: the start's side effects, tried ahead (see config_preflight.h). */
#include "tools/config_preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/preflight.h"

/* The store (gateway.store): an existing database must open read-write, a new one be creatable. */
static bool store_ok(const cfg_node *node, cfg_err *err) {
    const char *path = node->scalar;
    char why[4400];
    if (access(path, F_OK) == 0) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        return cfg_fail(err, node, "store %s: %s", path, strerror(errno));
    }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    if (!preflight_dir_writable(dir, why, sizeof why))
        return cfg_fail(err, node, "store %s: %s", path, why);
    return true;
}

/* The gateway's own store first, then each module's check in table order. */
bool gw_preflight(const cfg_node *root, const gw_sections *s, cfg_err *err) {
    const cfg_node *store = cfg_get(cfg_get(root, "gateway"), "store");
    if (store && store->kind == CFG_SCALAR && !store_ok(store, err))
        return false;
    for (size_t i = 0; i < gw_n_modules; i++) {
        const gw_module *m = gw_modules[i];
        if (m->check && !m->check(cfg_get(root, m->section), s->cfg[i], err))
            return false;
    }
    return true;
}
