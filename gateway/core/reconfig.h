/* reconfig: the running configuration as a service the management plane uses
 * (core/services.h: gw_services.reconfig). The interface is here, in core, so a
 * north module (the web server) can reach it without knowing the composition
 * root; tools/reconfig.c implements it over gwd's module table.
 *
 * A staged text is parsed exactly like the file (same parser, same module
 * table); apply writes it over the configured file and restarts only the
 * modules whose section changed, rolling everything back when one of them
 * does not start. */
#ifndef GW_RECONFIG_H
#define GW_RECONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define GW_RECONFIG_SECTIONS 20 /* gateway + every module's section */

/* Where a staged text is wrong: "line:col", the path of the field
 * ("mbus[0].interval", "" when the YAML itself does not parse) and why. */
typedef struct gw_config_error {
    int line, col;
    char path[160];
    char message[512];
} gw_config_error;

typedef struct gw_apply_result {
    bool applied;
    bool invalid;     /* the text does not parse or cannot be applied online: error */
    bool rolled_back; /* a module failed to start: the old configuration runs again */
    const char *restarted[GW_RECONFIG_SECTIONS]; /* section names, table order */
    size_t n_restarted;
    gw_config_error error; /* invalid: where; else error.message says what failed */
} gw_apply_result;

typedef struct gw_reconfig {
    void *ctx;
    /* The configuration running now, as its file was written. */
    const char *(*running_text)(void *ctx);
    /* Parses as the file would; false with err filled. */
    bool (*validate)(void *ctx, const char *text, gw_config_error *err);
    /* The top-level sections text changes against the running one, in table
     * order ("gateway" first); false with err when text does not parse. */
    bool (*changed)(void *ctx, const char *text, const char **out, size_t cap, size_t *n,
                    gw_config_error *err);
    /* Write text as the configuration and restart the changed modules. */
    void (*apply)(void *ctx, const char *text, gw_apply_result *res);
} gw_reconfig;
#endif
