/* config_same: two configuration trees with the same content (config_tree.h). */
#include <string.h>
#include "core/config_tree.h"

bool cfg_tree_same(const cfg_node *a, const cfg_node *b) {
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    /* by text: "2400" and 2400 read alike (the modules parse the text), so a
     * file rewritten in another style (JSON, block YAML) changes nothing */
    if (a->kind == CFG_SCALAR)
        return strcmp(a->scalar ? a->scalar : "", b->scalar ? b->scalar : "") == 0;
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->kind == CFG_MAP && strcmp(a->keys[i], b->keys[i]) != 0)
            return false;
        if (!cfg_tree_same(a->items[i], b->items[i]))
            return false;
    }
    return true;
}
