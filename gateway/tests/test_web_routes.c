/* test_web_routes: docs/openapi.yaml and the route table (north/web/web_routes.c)
 * describe the same API: every path+method of the file is a row, every row is
 * in the file. Also: every row's path is under /api/v1/, no row is there twice,
 * and every path but the login needs a role that the access matrix knows. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "north/web/web_access.h"
#include "north/web/web_route.h"
#include "tests/test.h"

static void upper(const char *in, char *out) {
    size_t i = 0;
    for (; in[i] && i < 15; i++)
        out[i] = (char)toupper((unsigned char)in[i]);
    out[i] = '\0';
}

static bool is_method(const char *key) {
    static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head", "options", NULL};
    for (int i = 0; methods[i]; i++)
        if (strcmp(key, methods[i]) == 0)
            return true;
    return false;
}

int main(void) {
    const char *path = getenv("GW_OPENAPI") ? getenv("GW_OPENAPI") : "docs/openapi.yaml";
    cfg_err err;
    cfg_node *doc = cfg_load_file(path, &err);
    CHECK_MSG(doc != NULL, "%s", err.msg);
    const cfg_node *paths = cfg_get(doc, "paths");
    CHECK(paths && paths->kind == CFG_MAP);
    bool *seen = calloc(web_n_routes, sizeof *seen);
    size_t n_ops = 0;
    for (size_t i = 0; paths && i < paths->n; i++) {
        const cfg_node *item = paths->items[i];
        for (size_t k = 0; item->kind == CFG_MAP && k < item->n; k++) {
            if (!is_method(item->keys[k]))
                continue;
            char method[16];
            upper(item->keys[k], method);
            n_ops++;
            size_t r = 0;
            while (r < web_n_routes && (strcmp(web_routes[r].pattern, paths->keys[i]) != 0 ||
                                        strcmp(web_routes[r].method, method) != 0))
                r++;
            CHECK_MSG(r < web_n_routes, "%s %s is in %s but not in the route table", method,
                      paths->keys[i], path);
            if (r < web_n_routes)
                seen[r] = true;
        }
    }
    web_roles roles;
    web_roles_defaults(&roles);
    const web_role *admin = web_role_find(&roles, "admin");
    for (size_t r = 0; r < web_n_routes; r++) {
        CHECK_MSG(seen[r], "%s %s is in the route table but not in %s", web_routes[r].method,
                  web_routes[r].pattern, path);
        CHECK(strncmp(web_routes[r].pattern, "/api/v1/", 8) == 0);
        CHECK(web_routes[r].handler != NULL);
        CHECK(web_role_allows(admin, web_routes[r].method, web_routes[r].pattern));
        for (size_t q = 0; q < r; q++)
            CHECK_MSG(strcmp(web_routes[q].pattern, web_routes[r].pattern) != 0 ||
                          strcmp(web_routes[q].method, web_routes[r].method) != 0,
                      "%s %s twice", web_routes[r].method, web_routes[r].pattern);
    }
    CHECK_INT(n_ops, web_n_routes);
    free(seen);
    cfg_free(doc);
    return test_summary("test_web_routes");
}
