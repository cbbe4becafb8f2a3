/* gateway_section: the `gateway:` section (see gateway_section.h). */
#include "tools/gateway_section.h"

#include "core/log.h"

bool gw_gateway_parse(const cfg_node *sec, gw_gateway *g, cfg_err *err) {
    static const char *const keys[] = {"name", "log_level", "store", "datahub_dump", "retention",
                                       "hold", NULL};
    const char *level;
    g->name = "gwd";
    g->log_level = LOG_LVL_INFO;
    store_retention_parse(NULL, &g->retention, err); /* defaults */
    g->hold = STORE_HOLD_DEFAULT;
    if (!sec)
        return true;
    if (sec->kind != CFG_MAP)
        return cfg_fail(err, sec, "gateway must be a map");
    if (!cfg_only_keys(sec, keys, err) || !cfg_str(sec, "name", "gwd", &g->name, err) ||
        !cfg_str(sec, "log_level", "info", &level, err) ||
        !cfg_str(sec, "store", NULL, &g->store_path, err) ||
        !cfg_str(sec, "datahub_dump", NULL, &g->dump_path, err) ||
        !store_retention_parse(cfg_get(sec, "retention"), &g->retention, err) ||
        !cfg_int(sec, "hold", STORE_HOLD_DEFAULT, 0, INT32_MAX, &g->hold, err))
        return false;
    if (g->name[0] == '\0')
        return cfg_fail(err, cfg_get(sec, "name"), "name must not be empty");
    g->log_level = log_level_parse(level);
    if (g->log_level < 0)
        return cfg_fail(err, cfg_get(sec, "log_level"),
                        "log_level must be error, warn, info, debug or trace");
    if (g->store_path && g->store_path[0] == '\0')
        return cfg_fail(err, cfg_get(sec, "store"), "store must be a file name");
    if (g->dump_path && g->dump_path[0] == '\0')
        return cfg_fail(err, cfg_get(sec, "datahub_dump"), "datahub_dump must be a file name");
    return true;
}
