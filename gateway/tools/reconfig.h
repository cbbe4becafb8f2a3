/* reconfig: the staged-configuration service of gwd (core/reconfig.h) over the
 * module table (tools/modules.c): what the web server's configuration mode
 * validates, compares and applies.
 *
 * Apply, in this order:
 *   parse the text like the file (same parser, same table) -> which sections
 *   changed (compared as trees: comments and layout do not count) -> refuse
 *   `gateway:` and `web:` changes (the store, the log and the server answering
 *   this very request are set up once: a restart of gwd applies them) -> write
 *   the file (PATH.tmp, fsync, the old one kept as PATH.bak, rename) -> stop the
 *   changed modules (reverse table order) -> start them with their new sections
 *   (table order).
 * When one does not start, the ones started are stopped, the changed modules
 * start again with their running sections, the old file is put back, and the
 * result says rolled_back with the module's message. Modules whose section did
 * not change keep running untouched (the store is never restarted: readings
 * and the reports' queue stay in it). */
#ifndef GW_TOOLS_RECONFIG_H
#define GW_TOOLS_RECONFIG_H
#include "core/config.h"
#include "core/reconfig.h"
#include "core/services.h"
#include "tools/config_check.h"

typedef struct reconfig reconfig;

/* gwd's running state, which apply changes in place: *root (the parsed file;
 * replaced roots are kept until reconfig_free, the unchanged modules' sections
 * point into them), sections, running (parallel to gw_modules) and the
 * services the modules are started with. The text is read from path. NULL
 * with err when the file cannot be read. */
reconfig *reconfig_new(const char *path, cfg_node **root, gw_sections *sections, void **running, const gw_services *svc, char *err,
                       size_t cap);
const gw_reconfig *reconfig_service(reconfig *r);
/* After the modules are stopped and the sections freed. NULL is fine. */
void reconfig_free(reconfig *r);

/* The sections (table order, "gateway" first) in which two parsed
 * configurations differ; n of them written to out. */
size_t reconfig_changed_sections(const cfg_node *running, const cfg_node *staged, const char **out,
                                 size_t cap);
/* Text replaced whole: PATH.tmp written and synced, the old file linked as
 * PATH.bak when keep_backup, then renamed over path. false with err. */
bool reconfig_write_file(const char *path, const char *text, bool keep_backup, char *err,
                         size_t cap);
#endif
