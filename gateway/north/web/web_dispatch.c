/* web_dispatch: one request through the route table: who is calling (an API
 * token, or the session cookie), the forced password change, the access
 * matrix of the caller's role, CSRF for cookie-authenticated changes, then the
 * row's handler. Every refusal is a clear 4xx with a JSON reason. Paths outside
 * /api/ are the UI's files (web_static.c), served to anyone. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/clock.h"
#include "north/web/web_ctx.h"
#include "north/web/web_static.h"

/* The caller: a bearer token, else the session cookie; NULL when neither. */
static web_user *authenticate(web_ctx *c) {
    const char *auth = web_request_header(c->req, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        return web_token_user(&c->srv->users, auth + 7);
    const char *cookie = web_request_header(c->req, "Cookie");
    char id[WEB_SESSION_ID_LEN + 2];
    if (!cookie || !web_cookie_get(cookie, WEB_COOKIE, id, sizeof id))
        return NULL;
    c->session = web_session_find(&c->srv->sessions, id, clock_mono_ns());
    web_user *u = c->session ? web_user_find(&c->srv->users, c->session->user) : NULL;
    if (c->session && !u) { /* the user was removed */
        web_session_end(c->session);
        c->session = NULL;
    }
    return u;
}

/* false after answering the refusal. */
static bool admitted(web_ctx *c, const web_route *r) {
    const char *method = c->req->method;
    if (!c->user) {
        web_reply_error(c, 401, "log in first (POST /api/v1/session) or send an API token");
        return false;
    }
    if (c->session && web_method_writes(method) &&
        !web_csrf_ok(c->session, web_request_header(c->req, "X-CSRF-Token"))) {
        web_reply_error(c, 403, "the X-CSRF-Token header is missing or wrong");
        return false;
    }
    if (r->flags & WEB_SELF)
        return true;
    if (c->user->must_change) {
        web_reply_error(c, 403, "change the initial password first (POST /api/v1/session/password)");
        return false;
    }
    if (!web_role_allows(web_role_find(&c->srv->users.roles, c->user->role), method, c->req->path)) {
        char why[WEB_PATH_MAX + 96];
        snprintf(why, sizeof why, "role %s may not %s %s", c->user->role, method, c->req->path);
        web_reply_error(c, 403, why);
        return false;
    }
    return true;
}

void web_dispatch(web_server *srv, const web_request *req, const char *peer, web_response *res) {
    if (strncmp(req->path, "/api/", 5) != 0) { /* the UI's files: public, no route rows */
        web_static_serve(srv->ui_root[0] ? srv->ui_root : NULL, req, res);
        return;
    }
    web_match m;
    web_ctx c = {.srv = srv, .req = req, .res = res, .match = &m, .peer = peer};
    if (!web_route_match(web_routes, web_n_routes, req->method, req->path, &m)) {
        if (m.path_known) {
            char allow[64];
            web_route_allow(web_routes, web_n_routes, req->path, allow, sizeof allow);
            web_response_header(res, "Allow", allow);
            web_reply_error(&c, 405, "this method is not served on this path");
        } else {
            web_reply_error(&c, 404, "no such path");
        }
        srv->refused++;
        return;
    }
    c.user = authenticate(&c);
    if (!(m.route->flags & WEB_PUBLIC) && !admitted(&c, m.route)) {
        srv->refused++;
        return;
    }
    m.route->handler(&c);
}
