/* web_access: roles and their path-based access matrix. Pure.
 *
 * A role is a name and rules; a rule is a path prefix ("/api/v1/meters" covers
 * "/api/v1/meters" and everything below it) and whether it also allows
 * changes (every method but GET/HEAD) or only reading. A request is allowed
 * when one rule of the user's role covers its path and method. The four built-in
 * roles (admin, operator, viewer, data_reader) cannot be removed or changed;
 * an admin adds others (docs/api.md has the matrix). */
#ifndef GW_WEB_ACCESS_H
#define GW_WEB_ACCESS_H
#include <stdbool.h>
#include <stddef.h>

#define WEB_ROLES_MAX 16
#define WEB_RULES_MAX 16
#define WEB_NAME_MAX 33 /* user and role names: 1-32 of [A-Za-z0-9_.-] */
#define WEB_PREFIX_MAX 96

typedef struct web_rule {
    char prefix[WEB_PREFIX_MAX];
    bool write;
} web_rule;

typedef struct web_role {
    char name[WEB_NAME_MAX];
    web_rule rules[WEB_RULES_MAX];
    size_t n_rules;
    bool builtin;
} web_role;

typedef struct web_roles {
    web_role role[WEB_ROLES_MAX];
    size_t n;
} web_roles;

void web_roles_defaults(web_roles *roles);
const web_role *web_role_find(const web_roles *roles, const char *name);
bool web_role_allows(const web_role *role, const char *method, const char *path);
bool web_prefix_covers(const char *prefix, const char *path);
/* A valid user or role name. */
bool web_name_ok(const char *name);
bool web_method_writes(const char *method);
#endif
