/* config_load: YAML (and JSON, which libyaml also reads) into a cfg_node tree.
 *
 * Built from libyaml's event stream. Every node keeps its 1-based line and
 * column so later errors can point at the text. Aliases are rejected (a
 * configuration should say what it means where it says it), duplicate keys are
 * errors (YAML would silently keep one of them). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/config.h"
#include "core/text_file.h"
#include "core/strhash.h"

/* Deeper nesting than this is certainly not a configuration; refuse it
 * instead of risking the stack. */
#define MAX_DEPTH 200

typedef struct builder {
    yaml_parser_t parser;
    const char *file;
    cfg_err *err;
    int depth;
} builder;

static bool fail_at(builder *b, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail_at(builder *b, int line, int col, const char *fmt, ...) {
    if (!b->err)
        return false;
    int n = snprintf(b->err->msg, sizeof b->err->msg, "%s:%d:%d: ", b->file, line, col);
    if (n < 0 || (size_t)n >= sizeof b->err->msg)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err->msg + n, sizeof b->err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static bool next_event(builder *b, yaml_event_t *ev) {
    if (yaml_parser_parse(&b->parser, ev))
        return true;
    const yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        problem = "out of memory";
    return fail_at(b, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, "%s",
                   problem);
}

static cfg_node *new_node(builder *b, cfg_kind kind, yaml_mark_t mark) {
    cfg_node *n = calloc(1, sizeof *n);
    if (!n) {
        fail_at(b, (int)mark.line + 1, (int)mark.column + 1, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->file = b->file;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    return n;
}

static void free_node(cfg_node *n) {
    if (!n)
        return;
    free(n->scalar);
    for (size_t i = 0; i < n->n; i++) {
        free_node(n->items[i]);
        if (n->key_nodes) /* keys[i] is key_nodes[i]->scalar */
            free_node(n->key_nodes[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_nodes);
    free(n);
}

void cfg_free(cfg_node *root) {
    if (!root)
        return;
    char *file = (char *)root->file; /* the root owns the shared name */
    free_node(root);
    free(file);
}

static cfg_node *scalar_node(builder *b, const yaml_event_t *ev) {
    cfg_node *n = new_node(b, CFG_SCALAR, ev->start_mark);
    if (!n)
        return NULL;
    size_t len = ev->data.scalar.length;
    n->scalar = malloc(len + 1);
    if (!n->scalar) {
        fail_at(b, n->line, n->col, "out of memory");
        free_node(n);
        return NULL;
    }
    memcpy(n->scalar, ev->data.scalar.value, len);
    n->scalar[len] = '\0';
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return n;
}

/* Append item (and for maps its key) to a container node. */
static bool append(cfg_node *parent, cfg_node *key_node, cfg_node *item, size_t *cap) {
    if (parent->n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        cfg_node **items = realloc(parent->items, c * sizeof *items);
        if (!items)
            return false;
        parent->items = items;
        if (parent->kind == CFG_MAP) {
            char **keys = realloc(parent->keys, c * sizeof *keys);
            if (!keys)
                return false;
            parent->keys = keys;
            cfg_node **kn = realloc(parent->key_nodes, c * sizeof *kn);
            if (!kn)
                return false;
            parent->key_nodes = kn;
        }
        *cap = c;
    }
    parent->items[parent->n] = item;
    if (parent->kind == CFG_MAP) {
        parent->keys[parent->n] = key_node->scalar;
        parent->key_nodes[parent->n] = key_node;
    }
    parent->n++;
    return true;
}

static cfg_node *build_node(builder *b, yaml_event_t *ev);

static cfg_node *build_seq(builder *b, const yaml_event_t *start) {
    cfg_node *seq = new_node(b, CFG_SEQ, start->start_mark);
    size_t cap = 0;
    yaml_event_t ev;
    while (seq && next_event(b, &ev)) {
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return seq;
        }
        cfg_node *item = build_node(b, &ev);
        if (!item || !append(seq, NULL, item, &cap)) {
            if (item)
                fail_at(b, item->line, item->col, "out of memory");
            free_node(item);
            break;
        }
    }
    free_node(seq);
    return NULL;
}

/* Open-addressing set of the keys seen in one map, to find duplicates in O(1). */
typedef struct key_set {
    cfg_node **slots;
    size_t cap, used;
} key_set;

static cfg_node *key_set_find_or_add(key_set *set, cfg_node *key, bool *oom) {
    if ((set->used + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        cfg_node **slots = calloc(cap, sizeof *slots);
        if (!slots) {
            *oom = true;
            return NULL;
        }
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->slots[i])
                continue;
            size_t j = strhash(set->slots[i]->scalar) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = set->slots[i];
        }
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
    }
    size_t j = strhash(key->scalar) & (set->cap - 1);
    while (set->slots[j]) {
        if (strcmp(set->slots[j]->scalar, key->scalar) == 0)
            return set->slots[j];
        j = (j + 1) & (set->cap - 1);
    }
    set->slots[j] = key;
    set->used++;
    return NULL;
}

/* Read one key event of a map; NULL at the end of the map (*done) or on error. */
static cfg_node *build_key(builder *b, key_set *seen, bool *done) {
    yaml_event_t ev;
    if (!next_event(b, &ev))
        return NULL;
    if (ev.type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(&ev);
        *done = true;
        return NULL;
    }
    if (ev.type != YAML_SCALAR_EVENT) {
        fail_at(b, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                ev.type == YAML_ALIAS_EVENT ? "aliases are not supported"
                                            : "map keys must be scalars");
        yaml_event_delete(&ev);
        return NULL;
    }
    cfg_node *key = scalar_node(b, &ev);
    yaml_event_delete(&ev);
    if (!key)
        return NULL;
    bool oom = false;
    const cfg_node *first = key_set_find_or_add(seen, key, &oom);
    if (first || oom) {
        if (oom)
            fail_at(b, key->line, key->col, "out of memory");
        else
            fail_at(b, key->line, key->col, "duplicate key '%s' (first at line %d, column %d)",
                    key->scalar, first->line, first->col);
        free_node(key);
        return NULL;
    }
    return key;
}

static cfg_node *build_map(builder *b, const yaml_event_t *start) {
    cfg_node *map = new_node(b, CFG_MAP, start->start_mark);
    size_t cap = 0;
    key_set seen = {0};
    bool done = false;
    while (map) {
        cfg_node *key = build_key(b, &seen, &done);
        if (!key)
            break;
        yaml_event_t ev;
        cfg_node *value = next_event(b, &ev) ? build_node(b, &ev) : NULL;
        if (!value || !append(map, key, value, &cap)) {
            if (value)
                fail_at(b, value->line, value->col, "out of memory");
            free_node(key);
            free_node(value);
            break;
        }
    }
    free(seen.slots);
    if (done)
        return map;
    free_node(map);
    return NULL;
}

/* Build the node that starts with ev; consumes (deletes) ev. */
static cfg_node *build_node(builder *b, yaml_event_t *ev) {
    cfg_node *node = NULL;
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    if (++b->depth > MAX_DEPTH) {
        fail_at(b, line, col, "nesting deeper than %d levels", MAX_DEPTH);
    } else if (ev->type == YAML_SCALAR_EVENT) {
        node = scalar_node(b, ev);
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        node = build_seq(b, ev);
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        node = build_map(b, ev);
    } else if (ev->type == YAML_ALIAS_EVENT) {
        fail_at(b, line, col, "aliases are not supported");
    } else {
        fail_at(b, line, col, "unexpected YAML event");
    }
    b->depth--;
    yaml_event_delete(ev);
    return node;
}

/* Consume the next event, which must be of the given type (libyaml
 * guarantees the stream structure, so a mismatch is only a safety net). */
static bool expect(builder *b, yaml_event_type_t type) {
    yaml_event_t ev;
    if (!next_event(b, &ev))
        return false;
    bool ok = ev.type == type;
    if (!ok)
        fail_at(b, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                "unexpected YAML structure");
    yaml_event_delete(&ev);
    return ok;
}

static cfg_node *empty_document(builder *b, yaml_mark_t mark) {
    return new_node(b, CFG_MAP, mark);
}

/* One document per input; an empty input is an empty map. */
static cfg_node *build_stream(builder *b) {
    yaml_event_t ev;
    if (!expect(b, YAML_STREAM_START_EVENT))
        return NULL;
    if (!next_event(b, &ev))
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        cfg_node *root = empty_document(b, ev.start_mark);
        yaml_event_delete(&ev);
        return root;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if (!next_event(b, &ev))
        return NULL;
    cfg_node *root = build_node(b, &ev);
    if (!root)
        return NULL;
    if (!expect(b, YAML_DOCUMENT_END_EVENT)) {
        free_node(root);
        return NULL;
    }
    if (!next_event(b, &ev)) {
        free_node(root);
        return NULL;
    }
    if (ev.type != YAML_STREAM_END_EVENT) {
        fail_at(b, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                "only one YAML document per file is supported");
        yaml_event_delete(&ev);
        free_node(root);
        return NULL;
    }
    yaml_event_delete(&ev);
    return root;
}

static cfg_node *load(const unsigned char *text, size_t len, const char *name, cfg_err *err) {
    if (err)
        err->msg[0] = '\0';
    char *file = strdup(name ? name : "<string>");
    if (!file) {
        if (err)
            snprintf(err->msg, sizeof err->msg, "%s:1:1: out of memory", name ? name : "<string>");
        return NULL;
    }
    builder b = {.file = file, .err = err};
    if (!yaml_parser_initialize(&b.parser)) {
        fail_at(&b, 1, 1, "cannot initialise the YAML parser");
        free(file);
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, text, len);
    cfg_node *root = build_stream(&b);
    yaml_parser_delete(&b.parser);
    if (!root) {
        if (err && !err->msg[0])
            fail_at(&b, 1, 1, "invalid YAML");
        free(file);
        return NULL;
    }
    return root;
}

cfg_node *cfg_load_string(const char *text, const char *name, cfg_err *err) {
    if (!text)
        text = "";
    return load((const unsigned char *)text, strlen(text), name, err);
}

cfg_node *cfg_load_file(const char *path, cfg_err *err) {
    size_t len = 0;
    char *text = path ? text_file_read(path, &len) : NULL;
    if (!text) {
        if (err)
            snprintf(err->msg, sizeof err->msg, "%s:1:1: cannot read: %s",
                     path ? path : "(null)", strerror(errno ? errno : EINVAL));
        return NULL;
    }
    cfg_node *root = load((const unsigned char *)text, len, path, err);
    free(text);
    return root;
}
