/* module: one subsystem of the gateway (a south driver, a north server, the
 * reports) as the composition root sees it: the YAML section it owns and its
 * life cycle. The table of every module is gateway/tools/modules.c; gwd
 * (gateway/main.c) and --check-config (tools/config_check.c) walk it:
 *
 *   parse every section (table order) -> does-something -> check -> start
 *   every module (table order) -> run the loop -> stop (reverse) -> free (reverse)
 *
 * The table order is the start order, which matters: the servers subscribe to
 * the datahub before the datahub dump (their counters are published ahead of
 * each dump), the drivers start last. Every pointer but section and parse may
 * be NULL (nothing to do). */
#ifndef GW_MODULE_H
#define GW_MODULE_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"
#include "core/services.h"

/* What a section's parser may know of the rest of the configuration. */
typedef struct gw_parse_ctx {
    const char *gateway_name; /* gateway.name ("gwd" by default) */
} gw_parse_ctx;

typedef struct gw_module {
    const char *section; /* the top-level YAML key */
    /* section is NULL when absent. *cfg = NULL: the module does not run (then
     * nothing else is called). false with err ("file:line:col: what is wrong"). */
    bool (*parse)(const cfg_node *section, const gw_parse_ctx *ctx, void **cfg, cfg_err *err);
    /* Reads meters or answers masters (a configuration with none does nothing). */
    bool (*does_work)(const void *cfg);
    /* What the start would try, tried without starting (tools/config_preflight.h):
     * gwd runs it for --check-config and before the start. Called even when
     * cfg is NULL (section and cfg may both be NULL). */
    bool (*check)(const cfg_node *section, const void *cfg, cfg_err *err);
    /* Files holding keys the module reads (the mode of each is checked). */
    size_t (*key_files)(const void *cfg, const char **out, size_t cap);
    /* The running module, or NULL with a message in err (logged by gwd). */
    void *(*start)(void *cfg, const gw_services *svc, char *err, size_t cap);
    void (*stop)(void *running);
    void (*free)(void *cfg);
} gw_module;
#endif
