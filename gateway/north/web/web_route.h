/* web_route: THE route table of the management plane and its matching. Pure.
 *
 * A row is a method, a path pattern ("{name}" matches one segment), flags and a
 * handler. Who may call it is not in the row: the access matrix of the roles
 * (web_access.h) decides by path and method, so a new row needs no new rule
 * when its path falls under an existing prefix. Add endpoints as rows in
 * web_routes.c (and their paths to docs/openapi.yaml: test_web_routes compares). */
#ifndef GW_WEB_ROUTE_H
#define GW_WEB_ROUTE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct web_ctx web_ctx; /* north/web/web_ctx.h */
typedef void (*web_handler)(web_ctx *c);

enum {
    WEB_PUBLIC = 1u << 0, /* no login needed (the login itself, the UI's files) */
    WEB_SELF = 1u << 1,   /* every logged-in user, even before the forced password change */
};

typedef struct web_route {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/meters/{name}/history" */
    unsigned flags;
    web_handler handler;
} web_route;

extern const web_route web_routes[];
extern const size_t web_n_routes;

#define WEB_PARAMS_MAX 4
#define WEB_PARAM_LEN 128

typedef struct web_match {
    const web_route *route;
    char params[WEB_PARAMS_MAX][WEB_PARAM_LEN];
    size_t n_params;
    bool path_known; /* some row has the path (then a miss is 405, not 404) */
} web_match;

/* Does path fit pattern? params filled in order of the {} segments. */
bool web_pattern_match(const char *pattern, const char *path, web_match *m);
/* The row for method and path; false when none (m->path_known tells 404 from 405). */
bool web_route_match(const web_route *table, size_t n, const char *method, const char *path,
                     web_match *m);
/* The methods of rows matching path, "GET, POST" (for Allow); "" when none. */
void web_route_allow(const web_route *table, size_t n, const char *path, char *out, size_t cap);
#endif
