/* name_set: open addressing with linear probing on the FNV-1a hash (strhash.h). */
#include "core/name_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strhash.h"

struct name_slot {
    const char *name; /* NULL: empty */
    const void *tag;
    uint64_t hash;    /* kept so growing needs no rehash of the strings */
};

static struct name_slot *probe(struct name_slot *slots, size_t cap, const char *name,
                               uint64_t hash) {
    size_t j = hash & (cap - 1);
    while (slots[j].name && (slots[j].hash != hash || strcmp(slots[j].name, name) != 0))
        j = (j + 1) & (cap - 1);
    return &slots[j];
}

/* Double the table when it would become more than half full. */
static int grow(name_set *set) {
    if ((set->used + 1) * 2 <= set->cap)
        return 0;
    size_t cap = set->cap ? set->cap * 2 : 64;
    struct name_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].name)
            *probe(slots, cap, set->slots[i].name, set->slots[i].hash) = set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return 0;
}

int name_set_add(name_set *set, const char *name, const void *tag, const void **first) {
    if (grow(set) != 0)
        return -1;
    uint64_t hash = strhash(name);
    struct name_slot *s = probe(set->slots, set->cap, name, hash);
    if (s->name) {
        if (first)
            *first = s->tag;
        return 0;
    }
    *s = (struct name_slot){name, tag, hash};
    set->used++;
    return 1;
}

const void *name_set_find(const name_set *set, const char *name) {
    if (!set->cap)
        return NULL;
    uint64_t hash = strhash(name);
    const struct name_slot *s = probe(set->slots, set->cap, name, hash);
    return s->name ? s->tag : NULL;
}

void name_set_free(name_set *set) {
    free(set->slots);
    memset(set, 0, sizeof *set);
}
