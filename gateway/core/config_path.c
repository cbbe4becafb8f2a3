/* config_path: the path to a position of a configuration tree (config_tree.h),
 * so an error "12:5: ..." can also name the field: "mbus[0].interval". */
#include <stdio.h>
#include <string.h>
#include "core/config_tree.h"

typedef struct found {
    int line, col; /* the best position so far (at or before the target) */
    char path[256];
    bool exact;
} found;

static bool before_or_at(int l1, int c1, int l2, int c2) {
    return l1 < l2 || (l1 == l2 && c1 <= c2);
}

/* Take node n at path if it starts at or before the target and after the best so far. */
static void consider(found *f, const cfg_node *n, const char *path, int line, int col) {
    if (f->exact || !before_or_at(n->line, n->col, line, col) ||
        !before_or_at(f->line, f->col, n->line, n->col))
        return;
    f->line = n->line;
    f->col = n->col;
    snprintf(f->path, sizeof f->path, "%s", path);
    f->exact = n->line == line && n->col == col;
}

static void walk(found *f, const cfg_node *n, const char *path, int line, int col, int depth) {
    if (!n || depth > 32)
        return;
    if (path[0])
        consider(f, n, path, line, col);
    for (size_t i = 0; n->kind != CFG_SCALAR && i < n->n; i++) {
        char sub[256];
        if (n->kind == CFG_MAP) {
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", n->keys[i]);
            if (n->key_nodes && n->key_nodes[i])
                consider(f, n->key_nodes[i], sub, line, col);
        } else {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        }
        walk(f, n->items[i], sub, line, col, depth + 1);
    }
}

void cfg_tree_path_at(const cfg_node *root, int line, int col, char *out, size_t cap) {
    found f = {.line = 0, .col = 0};
    walk(&f, root, "", line, col, 0);
    snprintf(out, cap, "%s", f.path);
}
