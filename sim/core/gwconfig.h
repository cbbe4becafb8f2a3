/* gwconfig: the gateway's configuration as the bench hands it to gwd.
 *
 * The scenario's `gateway:` tree is written out as JSON (valid YAML for the
 * gateway's loader) with ${...} substitutions in every scalar: ${workdir},
 * ${fixtures} and ${<segment name>} (the pty the segment listens on). */
#ifndef SIM_GWCONFIG_H
#define SIM_GWCONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "core/config.h"

typedef struct subst_var {
    const char *name;  /* without ${} */
    const char *value;
} subst_var;

/* Substitute ${name} in text into out. False (and the unknown name in *bad,
 * or "" when out is too small) on failure. */
bool subst_apply(const char *text, const subst_var *vars, size_t n, char *out, size_t cap,
                 char *bad, size_t bad_cap);
/* Write tree as JSON with substitutions. */
bool gwconfig_write_json(FILE *f, const cfg_node *tree, const subst_var *vars, size_t n,
                         cfg_err *err);
bool gwconfig_write(const char *path, const cfg_node *tree, const subst_var *vars, size_t n,
                    cfg_err *err);
/* A free TCP port on the loopback (bound once, then released) for a server
 * the gateway will open (${port:NAME}); -1 when none could be found. */
int gwconfig_free_port(void);
/* The substituted text of tree[section][key] (malloc'd), or NULL when absent. */
char *gwconfig_get(const cfg_node *tree, const char *section, const char *key,
                   const subst_var *vars, size_t n);
/* The gateway's report folder: reports.dir (legacy reports), else the file
 * transport's dir of the first report instance that has one; malloc'd, NULL
 * when reports go nowhere on disk. */
char *gwconfig_report_dir(const cfg_node *tree, const subst_var *vars, size_t n);
#endif
