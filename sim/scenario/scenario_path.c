/* scenario_path: ${fixtures} substitution and the search order (see scenario_path.h). */
#include "sim/scenario/scenario_path.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sim/core/gwconfig.h"

static bool exists(const char *path) { return access(path, F_OK) == 0; }

bool scenario_path(const scenario_paths *p, const cfg_node *node, const char *what, char *out,
                   size_t cap, cfg_err *err) {
    if (!node || node->kind != CFG_SCALAR || !node->scalar[0])
        return cfg_fail(err, node, "%s: a file name expected", what);
    subst_var fixtures = {"fixtures", p->fixtures_dir};
    char text[4096], bad[128];
    if (!subst_apply(node->scalar, &fixtures, 1, text, sizeof text, bad, sizeof bad))
        return cfg_fail(err, node, "%s %s: %s", what, node->scalar,
                        bad[0] ? "only ${fixtures} is substituted in plant paths" : "too long");
    bool substituted = strcmp(text, node->scalar) != 0;
    if (text[0] == '/') {
        snprintf(out, cap, "%s", text);
        if (exists(out)) return true;
        if (substituted)
            return cfg_fail(err, node, "%s %s: no file %s (${fixtures} is %s; set it with hil run "
                            "--fixtures DIR or HIL_FIXTURES)", what, node->scalar, out, p->fixtures_dir);
        return cfg_fail(err, node, "%s %s: no such file", what, node->scalar);
    }
    snprintf(out, cap, "%s/%s", p->scenario_dir, text);
    if (exists(out)) return true;
    snprintf(out, cap, "%s/%s", p->base_dir, text);
    if (exists(out)) return true;
    return cfg_fail(err, node, "%s %s: no such file in the scenario's folder %s nor in %s", what,
                    node->scalar, p->scenario_dir, p->base_dir);
}
