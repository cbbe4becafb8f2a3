/* config: YAML documents as a tree of nodes that remember file:line:col, and
 * typed getters whose errors read "file:line:col: what is wrong".
 *
 * Used for the gateway configuration and the bench's scenario files. Each module
 * reads its own section; the tree is generic. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_kind;

typedef struct cfg_node {
    cfg_kind kind;
    const char *file; /* shared name string of the document, owned by the root */
    int line, col;    /* 1-based position of the node's start */
    char *scalar;     /* CFG_SCALAR: the text (null and ~ stay text, see quoted) */
    size_t n;         /* CFG_MAP / CFG_SEQ: number of items */
    char **keys;      /* CFG_MAP: keys[i] names items[i] */
    struct cfg_node **key_nodes; /* CFG_MAP: position of each key */
    struct cfg_node **items;
    bool quoted;      /* CFG_SCALAR: written in quotes (a JSON string, not a number) */
} cfg_node;

/* Error text, always "file:line:col: message". */
typedef struct cfg_err {
    char msg[512];
} cfg_err;

/* One document per input (YAML or JSON); an empty input is an empty map.
 * Aliases and duplicate keys are errors. Returns NULL with err set on failure. */
cfg_node *cfg_load_file(const char *path, cfg_err *err);
cfg_node *cfg_load_string(const char *text, const char *name, cfg_err *err);
void cfg_free(cfg_node *root);

/* Set err to "file:line:col: <fmt>" at node; returns false so callers can `return cfg_fail(...)`. */
bool cfg_fail(cfg_err *err, const cfg_node *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Map lookup; NULL when map is NULL, not a map, or has no such key. */
const cfg_node *cfg_get(const cfg_node *map, const char *key);
/* Fail on any key of map not in the NULL-terminated list `allowed`. */
bool cfg_only_keys(const cfg_node *map, const char *const *allowed, cfg_err *err);

/* Typed getters: when the key is absent, *out = def and true is returned;
 * a present value of the wrong type or out of range fails with its position. */
bool cfg_str(const cfg_node *map, const char *key, const char *def, const char **out, cfg_err *err);
bool cfg_int(const cfg_node *map, const char *key, long long def, long long min, long long max,
             long long *out, cfg_err *err);
bool cfg_double(const cfg_node *map, const char *key, double def, double *out, cfg_err *err);
bool cfg_bool(const cfg_node *map, const char *key, bool def, bool *out, cfg_err *err);
/* Durations: "500ms", "2s", "1.5s", "15m", "1h", "1d", "100us", or a bare number of seconds. */
bool cfg_duration_ns(const cfg_node *map, const char *key, int64_t def, int64_t *out, cfg_err *err);
/* Parse a scalar node's text as the typed value (used for sequence items). */
bool cfg_node_int(const cfg_node *node, long long min, long long max, long long *out, cfg_err *err);
bool cfg_node_duration_ns(const cfg_node *node, int64_t *out, cfg_err *err);
bool cfg_node_double(const cfg_node *node, double *out, cfg_err *err);
bool cfg_node_bool(const cfg_node *node, bool *out, cfg_err *err);
/* "scalar", "map" or "sequence" (for error messages). */
const char *cfg_kind_name(cfg_kind kind);
/* Parse a duration string without a node; false when malformed. */
bool cfg_parse_duration_ns(const char *text, int64_t *out);
/* Require that key exists (error names the map's position). */
const cfg_node *cfg_require(const cfg_node *map, const char *key, cfg_kind kind, cfg_err *err);
#endif
