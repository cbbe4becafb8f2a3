/* config_tree: questions about a whole parsed configuration tree (core/config.h)
 * that the staged configuration asks (tools/reconfig.c). Pure. */
#ifndef GW_CONFIG_TREE_H
#define GW_CONFIG_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"

/* The same content: kinds, keys in order, scalar texts (quoted or not);
 * positions, style and comments do not count. Two NULLs are the same. */
bool cfg_tree_same(const cfg_node *a, const cfg_node *b);

/* The path of the node at line:col ("mbus[0].meters[1].primary"): the node (or
 * map key) starting there, else the last one starting before it. "" when the
 * position is before every node. */
void cfg_tree_path_at(const cfg_node *root, int line, int col, char *out, size_t cap);
#endif
