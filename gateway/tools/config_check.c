/* config_check: the gateway's module sections, parsed in gwd's order (tools/modules.c). */
#include "tools/config_check.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const *gw_config_sections(void) {
    static const char *keys[GW_MODULES_MAX + 2];
    if (!keys[0]) {
        keys[0] = "gateway";
        for (size_t i = 0; i < gw_n_modules; i++)
            keys[1 + i] = gw_modules[i]->section;
    }
    return keys;
}

bool gw_sections_parse(const cfg_node *root, const char *gateway_name, gw_sections *s, cfg_err *err) {
    const gw_parse_ctx ctx = {.gateway_name = gateway_name};
    for (size_t i = 0; i < gw_n_modules; i++) {
        const gw_module *m = gw_modules[i];
        if (!m->parse(cfg_get(root, m->section), &ctx, &s->cfg[i], err))
            return false;
    }
    return gw_sections_do_something(root, s, err);
}

/* A bus reads meters, a server answers masters; a store, reports or a dump
 * alone have nothing to work on. */
bool gw_sections_do_something(const cfg_node *root, const gw_sections *s, cfg_err *err) {
    for (size_t i = 0; i < gw_n_modules; i++)
        if (s->cfg[i] && gw_modules[i]->does_work && gw_modules[i]->does_work(s->cfg[i]))
            return true;
    return cfg_fail(err, root,
                    "this configuration does nothing: it has no bus (mbus, wmbus, modbus, dlms) and "
                    "no server (iec104, modbus_server); a minimal one is "
                    "`mbus: [{name: bus1, device: /dev/ttyUSB0, meters: [{name: heat1, primary: 5}]}]` "
                    "(docs/configuration.md)");
}

/* In reverse, as the modules stop. */
void gw_sections_free(gw_sections *s) {
    for (size_t i = gw_n_modules; i-- > 0;)
        if (s->cfg[i] && gw_modules[i]->free)
            gw_modules[i]->free(s->cfg[i]);
    memset(s, 0, sizeof *s);
}

bool gw_config_check_text(const char *text, const char *name, cfg_err *err) {
    err->msg[0] = '\0';
    cfg_node *root = cfg_load_string(text, name, err);
    if (!root) {
        if (!err->msg[0])
            snprintf(err->msg, sizeof err->msg, "%s:1:1: cannot read the configuration", name);
        return false;
    }
    gw_sections s = {0};
    bool ok;
    if (root->kind != CFG_MAP)
        ok = cfg_fail(err, root, "the configuration must be a map of sections");
    else
        ok = cfg_only_keys(root, gw_config_sections(), err) &&
             gw_sections_parse(root, "gwd", &s, err);
    gw_sections_free(&s);
    cfg_free(root);
    return ok;
}

bool gw_secret_file_private(const char *path, char *why, size_t cap) {
    struct stat st;
    if (stat(path, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
        return true;
    snprintf(why, cap, "%s holds keys or passwords but its mode is %04o: make it readable by its owner only (chmod 600)",
             path, (unsigned)(st.st_mode & 07777));
    return false;
}

/* Keys whose values are secrets, wherever they appear. */
static bool secret_key(const char *key) {
    static const char *const names[] = {"password", "ek", "ak", "key", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(key, names[i]) == 0)
            return true;
    return false;
}

static bool has_secrets(const cfg_node *n, int depth) {
    if (!n || depth > 16)
        return false;
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == CFG_MAP && n->keys && n->keys[i] && secret_key(n->keys[i]))
            return true;
        if (has_secrets(n->items[i], depth + 1))
            return true;
    }
    return false;
}

bool gw_config_has_secrets(const cfg_node *root) { return has_secrets(root, 0); }
