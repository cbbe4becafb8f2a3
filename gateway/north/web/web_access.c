/* web_access: the built-in roles and the access check (web_access.h). */
#include <stdio.h>
#include <string.h>
#include "north/web/web_access.h"

typedef struct { const char *prefix; bool write; } rule_def;
typedef struct { const char *name; rule_def rules[WEB_RULES_MAX]; } role_def;

/* The CU-XE's split: the admin does everything, the operator runs the plant
 * (reports, keys, buses and their scans, configuration) but manages no users,
 * the viewer sees everything but users, roles, keys, the configuration and the
 * scans (the configuration text holds passwords and keys; a scan occupies a
 * bus), the data reader only the meters' data. */
static const role_def builtin[] = {
    {"admin", {{"/api/v1/", true}}},
    {"operator", {{"/api/v1/status", false}, {"/api/v1/meters", false}, {"/api/v1/points", false},
                  {"/api/v1/events", false}, {"/api/v1/reports", true}, {"/api/v1/wireless", false},
                  {"/api/v1/keys", true}, {"/api/v1/buses", true}, {"/api/v1/config", true},
                  {"/api/v1/certificate", false}, {"/api/v1/export", false}}},
    {"viewer", {{"/api/v1/status", false}, {"/api/v1/meters", false}, {"/api/v1/points", false},
                {"/api/v1/events", false}, {"/api/v1/reports", false}, {"/api/v1/wireless", false},
                {"/api/v1/certificate", false}, {"/api/v1/export", false}}},
    {"data_reader", {{"/api/v1/meters", false}, {"/api/v1/points", false}, {"/api/v1/export", false}}},
};

void web_roles_defaults(web_roles *roles) {
    memset(roles, 0, sizeof *roles);
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        web_role *r = &roles->role[roles->n++];
        snprintf(r->name, sizeof r->name, "%s", builtin[i].name);
        r->builtin = true;
        for (size_t k = 0; k < WEB_RULES_MAX && builtin[i].rules[k].prefix; k++) {
            snprintf(r->rules[k].prefix, sizeof r->rules[k].prefix, "%s", builtin[i].rules[k].prefix);
            r->rules[k].write = builtin[i].rules[k].write;
            r->n_rules++;
        }
    }
}

const web_role *web_role_find(const web_roles *roles, const char *name) {
    for (size_t i = 0; i < roles->n; i++)
        if (strcmp(roles->role[i].name, name) == 0)
            return &roles->role[i];
    return NULL;
}

bool web_prefix_covers(const char *prefix, const char *path) {
    size_t n = strlen(prefix);
    if (n == 0 || strncmp(prefix, path, n) != 0)
        return false;
    return prefix[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}

bool web_method_writes(const char *method) {
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

bool web_role_allows(const web_role *role, const char *method, const char *path) {
    if (!role)
        return false;
    bool writes = web_method_writes(method);
    for (size_t i = 0; i < role->n_rules; i++)
        if (web_prefix_covers(role->rules[i].prefix, path) && (!writes || role->rules[i].write))
            return true;
    return false;
}

bool web_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= WEB_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}
