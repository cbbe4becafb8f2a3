/* config_check: the gateway's driver sections, parsed in gwd's order. */
#include "tools/config_check.h"
#include "south/modbus/modbus_client_int.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const gw_config_sections[] = {"gateway", "mbus", "reports", "iec104", "modbus_server",
                                          "modbus", "dlms", "wmbus", NULL};

bool gw_sections_parse(const cfg_node *root, const char *gateway_name, gw_sections *s, cfg_err *err) {
    s->mbus = mbus_config_parse(cfg_get(root, "mbus"), err);
    if (!s->mbus)
        return false;
    s->iec104 = iec104_config_parse(cfg_get(root, "iec104"), err);
    if (!s->iec104 && err->msg[0])
        return false;
    if (!modbus_server_config_parse(cfg_get(root, "modbus_server"), &s->modbus_srv_cfg, err) ||
        !modbus_client_config_parse(cfg_get(root, "modbus"), &s->modbus_cli_cfg, err))
        return false;
    s->dlms = dlms_config_parse(cfg_get(root, "dlms"), err);
    if (!s->dlms)
        return false;
    s->wmbus = wmbus_config_parse(cfg_get(root, "wmbus"), err);
    if (!s->wmbus)
        return false;
    err->msg[0] = '\0';
    s->reports = report_configure(cfg_get(root, "reports"), gateway_name, err);
    if (!s->reports && err->msg[0])
        return false;
    return gw_sections_do_something(root, s, err);
}

/* A bus reads meters, a server answers masters; a store, reports or a dump
 * alone have nothing to work on. */
bool gw_sections_do_something(const cfg_node *root, const gw_sections *s, cfg_err *err) {
    if ((s->mbus && s->mbus->n_segments) || (s->wmbus && s->wmbus->n_modules) ||
        (s->modbus_cli_cfg && s->modbus_cli_cfg->n_devices) || (s->dlms && s->dlms->n_networks) ||
        s->iec104 || s->modbus_srv_cfg)
        return true;
    return cfg_fail(err, root,
                    "this configuration does nothing: it has no bus (mbus, wmbus, modbus, dlms) and "
                    "no server (iec104, modbus_server); a minimal one is "
                    "`mbus: [{name: bus1, device: /dev/ttyUSB0, meters: [{name: heat1, primary: 5}]}]` "
                    "(docs/configuration.md)");
}

void gw_sections_free(gw_sections *s) {
    report_free(s->reports);
    mbus_config_free(s->mbus);
    dlms_config_free(s->dlms);
    wmbus_config_free(s->wmbus);
    iec104_config_free(s->iec104);
    modbus_server_config_free(s->modbus_srv_cfg);
    modbus_client_config_free(s->modbus_cli_cfg);
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
        ok = cfg_only_keys(root, gw_config_sections, err) &&
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
