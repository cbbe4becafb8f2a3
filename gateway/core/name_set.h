/* name_set: a set of names (strings owned by the caller), each with a tag
 * (typically the configuration node that named it), so duplicate checks over
 * hundreds of thousands of meters stay linear and can still point at the
 * first use of a name. */
#ifndef GW_NAME_SET_H
#define GW_NAME_SET_H
#include <stddef.h>

typedef struct name_set {
    struct name_slot *slots; /* open addressing, at most half full */
    size_t cap, used;
} name_set;

/* Add name with tag. Returns 1 when added, 0 when the name is already in the
 * set (*first = the tag it was added with; first may be NULL), -1 when out of
 * memory. The string must stay valid as long as the set is used. */
int name_set_add(name_set *set, const char *name, const void *tag, const void **first);
/* The tag of name, or NULL when absent. */
const void *name_set_find(const name_set *set, const char *name);
void name_set_free(name_set *set);
#endif
