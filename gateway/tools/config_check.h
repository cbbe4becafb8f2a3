/* config_check: the module sections of the gateway configuration (tools/modules.h),
 * parsed the way gwd does at start-up (and `gwd --check-config`), in one place so the
 * configuration fuzzer exercises exactly the gateway's code. */
#ifndef GW_CONFIG_CHECK_H
#define GW_CONFIG_CHECK_H
#include <stdbool.h>
#include "core/config.h"
#include "tools/modules.h"

/* What each module's section parsed into, parallel to gw_modules (NULL: the
 * module does not run). */
typedef struct gw_sections {
    void *cfg[GW_MODULES_MAX];
} gw_sections;

/* The top-level keys gwd accepts: "gateway" (gwd's own section), then each
 * module's, in table order; NULL-terminated. */
const char *const *gw_config_sections(void);

/* Parse every module's section of root, in table order (the `gateway:`
 * section is gwd's own; gateway_name is its name).
 * false with err set; what was parsed is in *s either way (gw_sections_free). */
bool gw_sections_parse(const cfg_node *root, const char *gateway_name, gw_sections *s, cfg_err *err);
void gw_sections_free(gw_sections *s);
/* False with err at root when the sections have no bus and no server: such a
 * gateway would idle silently (an empty file, only a gateway: section). */
bool gw_sections_do_something(const cfg_node *root, const gw_sections *s, cfg_err *err);

/* Whole-text check as `gwd --check-config` does it, minus the file and the
 * preflight (config_preflight.h: it creates folders and binds ports, which a
 * fuzzer must not): the text must be a map of known sections, each valid, that
 * does something. err->msg reads
 * "name:line:col: what is wrong" on failure. */
bool gw_config_check_text(const char *text, const char *name, cfg_err *err);

/* Secrets (AES keys, DLMS passwords and keys) are in the configuration file or
 * in a key file: such a file must not be readable by group or others. True
 * when the file at path is fine (or unreadable by stat); false with a message
 * in why when its mode lets others read it. */
bool gw_secret_file_private(const char *path, char *why, size_t cap);
/* Whether a configuration holds secrets (a dlms password/ek/ak, a wmbus key). */
bool gw_config_has_secrets(const cfg_node *root);
#endif
