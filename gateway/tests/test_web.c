/* test_web: the pure parts of the web API: HTTP requests within limits,
 * routing, the access matrix, sessions (cookie, CSRF, inactivity), login
 * supervision timing, passwords, tokens and the users file. */
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "north/web/web_access.h"
#include "north/web/web_http.h"
#include "north/web/web_route.h"
#include "north/web/web_session.h"
#include "north/web/web_users.h"
#include "tests/test.h"

static const web_limits limits = {.max_request = 4096, .max_headers = 8};

static web_req_state feed_all(web_request *r, const char *text) {
    web_request_feed(r, text, strlen(text));
    return r->state;
}

static void test_request(void) {
    web_request r;
    web_request_init(&r, &limits);
    const char *two = "GET /api/v1/meters/w%2001/history?from=1&limit=5 HTTP/1.1\r\nHost: x\r\n"
                      "Cookie: a=1; gwd_session=abc\r\n\r\nGET /api/v1/status HTTP/1.1\r\n\r\n";
    size_t n = web_request_feed(&r, two, strlen(two));
    CHECK_INT(r.state, WEB_REQ_DONE);
    CHECK_STR(r.method, "GET");
    CHECK_STR(r.path, "/api/v1/meters/w 01/history");
    CHECK_STR(r.query, "from=1&limit=5");
    CHECK(r.keep_alive);
    char v[32];
    CHECK(web_cookie_get(web_request_header(&r, "cookie"), "gwd_session", v, sizeof v));
    CHECK_STR(v, "abc");
    CHECK(web_query_param(r.query, "limit", v, sizeof v) && strcmp(v, "5") == 0);
    CHECK(!web_query_param(r.query, "to", v, sizeof v));
    CHECK(n < strlen(two)); /* the pipelined request stays */
    web_request_reset(&r);
    CHECK_INT(feed_all(&r, two + n), WEB_REQ_DONE);
    CHECK_STR(r.path, "/api/v1/status");
    web_request_reset(&r);

    /* a body, in two pieces */
    CHECK_INT(feed_all(&r, "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"), WEB_REQ_MORE);
    CHECK_INT(feed_all(&r, "cde"), WEB_REQ_DONE);
    CHECK_INT(r.body_len, 5);
    CHECK_STR(r.body, "abcde");
    web_request_reset(&r);

    /* limits and malformed requests: a clear status each */
    CHECK_INT(feed_all(&r, "POST /x HTTP/1.1\r\nContent-Length: 99999\r\n\r\n"), WEB_REQ_ERROR);
    CHECK_INT(r.error_status, 413);
    web_request_reset(&r);
    char many[1024] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 10; i++)
        strcat(many, "X-A: b\r\n");
    strcat(many, "\r\n");
    CHECK_INT(feed_all(&r, many), WEB_REQ_ERROR);
    CHECK_INT(r.error_status, 431);
    web_request_reset(&r);
    CHECK_INT(feed_all(&r, "GARBAGE\r\n\r\n"), WEB_REQ_ERROR);
    CHECK(r.error_status >= 400 && r.error_status < 500);
    web_request_reset(&r);
    CHECK_INT(feed_all(&r, "GET /a%zz HTTP/1.1\r\n\r\n"), WEB_REQ_ERROR);
    CHECK_INT(r.error_status, 400);
    web_request_reset(&r);
    CHECK_INT(feed_all(&r, "GET /a/../../etc HTTP/1.1\r\n\r\n"), WEB_REQ_ERROR);
    web_request_reset(&r);
    char *big = malloc(8000);
    memset(big, 'a', 7999);
    big[7999] = '\0';
    memcpy(big, "GET /", 5);
    CHECK_INT(feed_all(&r, big), WEB_REQ_ERROR);
    CHECK(r.error_status == 413 || r.error_status == 414);
    free(big);
    web_request_free(&r);
}

static void nop(web_ctx *c) { (void)c; }

static void test_routes(void) {
    static const web_route table[] = {
        {"GET", "/api/v1/meters", 0, nop},
        {"GET", "/api/v1/meters/{name}/history", 0, nop},
        {"DELETE", "/api/v1/users/{name}/tokens/{id}", 0, nop},
        {"POST", "/api/v1/meters", 0, nop},
    };
    web_match m;
    CHECK(web_route_match(table, 4, "GET", "/api/v1/meters/", &m) && m.route == &table[0]);
    CHECK(web_route_match(table, 4, "HEAD", "/api/v1/meters", &m) && m.route == &table[0]);
    CHECK(web_route_match(table, 4, "GET", "/api/v1/meters/w1/history", &m) && m.n_params == 1);
    CHECK_STR(m.params[0], "w1");
    CHECK(web_route_match(table, 4, "DELETE", "/api/v1/users/bob/tokens/ab12", &m));
    CHECK_STR(m.params[0], "bob");
    CHECK_STR(m.params[1], "ab12");
    CHECK(!web_route_match(table, 4, "PUT", "/api/v1/meters", &m) && m.path_known); /* 405 */
    CHECK(!web_route_match(table, 4, "GET", "/api/v1/meters//history", &m) && !m.path_known);
    CHECK(!web_route_match(table, 4, "GET", "/api/v1/metersX", &m) && !m.path_known); /* 404 */
    char allow[64];
    web_route_allow(table, 4, "/api/v1/meters", allow, sizeof allow);
    CHECK_STR(allow, "GET, POST");
}

static void test_access(void) {
    web_roles roles;
    web_roles_defaults(&roles);
    const web_role *admin = web_role_find(&roles, "admin"), *op = web_role_find(&roles, "operator"),
                   *viewer = web_role_find(&roles, "viewer"), *reader = web_role_find(&roles, "data_reader");
    CHECK(admin && op && viewer && reader && !web_role_find(&roles, "root"));
    CHECK(web_role_allows(admin, "DELETE", "/api/v1/users/x"));
    CHECK(!web_role_allows(op, "GET", "/api/v1/users"));
    CHECK(web_role_allows(op, "POST", "/api/v1/reports/r1/trigger"));
    CHECK(web_role_allows(op, "PUT", "/api/v1/keys"));
    CHECK(!web_role_allows(viewer, "POST", "/api/v1/reports/r1/trigger"));
    CHECK(web_role_allows(viewer, "GET", "/api/v1/reports"));
    CHECK(!web_role_allows(viewer, "GET", "/api/v1/keys"));
    CHECK(web_role_allows(reader, "GET", "/api/v1/meters/w1/history"));
    CHECK(!web_role_allows(reader, "GET", "/api/v1/status"));
    CHECK(!web_role_allows(reader, "GET", "/api/v1/metersX")); /* a prefix ends at a segment */
    CHECK(!web_role_allows(NULL, "GET", "/api/v1/status"));
    CHECK(web_name_ok("bob.smith-2") && !web_name_ok("") && !web_name_ok("a b") &&
          !web_name_ok("012345678901234567890123456789012"));
}

static void test_sessions(void) {
    web_sessions ss;
    web_sessions_init(&ss, 600 * NS_PER_S);
    uint8_t rnd[WEB_SESSION_RANDOM];
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)i;
    web_session *s = web_session_new(&ss, "bob", 1000, rnd);
    CHECK_INT(strlen(s->id), WEB_SESSION_ID_LEN);
    CHECK_INT(strlen(s->csrf), WEB_CSRF_LEN);
    char id[WEB_SESSION_ID_LEN + 1];
    strcpy(id, s->id);
    char cookie[200];
    web_session_cookie(s, cookie, sizeof cookie);
    CHECK(strstr(cookie, "gwd_session=") == cookie && strstr(cookie, "; Secure") &&
          strstr(cookie, "; HttpOnly") && strstr(cookie, "; SameSite=Strict"));
    CHECK(web_csrf_ok(s, s->csrf));
    CHECK(!web_csrf_ok(s, NULL) && !web_csrf_ok(s, "") && !web_csrf_ok(s, "0011"));
    /* inactivity: each request restarts the clock; 600 s without one ends it */
    CHECK(web_session_find(&ss, id, 1000 + 599 * NS_PER_S) == s);
    CHECK(web_session_find(&ss, id, 1000 + 1198 * NS_PER_S) == s);
    CHECK(web_session_find(&ss, id, 1000 + 1798 * NS_PER_S) == NULL);
    CHECK(web_session_find(&ss, id, 1000 + 1799 * NS_PER_S) == NULL); /* gone for good */
    CHECK(web_session_find(&ss, "short", 0) == NULL);
    /* all sessions of a user end (password change), except the caller's */
    web_session *a = web_session_new(&ss, "ann", 0, rnd);
    rnd[0] = 99;
    web_session *b = web_session_new(&ss, "ann", 0, rnd);
    CHECK_INT(web_sessions_end_user(&ss, "ann", b), 1);
    CHECK(!a->used && b->used);
}

static void test_guard(void) {
    web_guard g;
    web_guard_init(&g, 3, 300 * NS_PER_S);
    int64_t t = 5 * NS_PER_S, left;
    CHECK(!web_guard_failure(&g, "10.0.0.1", "bob", t));
    CHECK(!web_guard_failure(&g, "10.0.0.1", "bob", t + NS_PER_S));
    CHECK(!web_guard_blocked(&g, "10.0.0.1", "bob", t + NS_PER_S, NULL));
    CHECK(web_guard_failure(&g, "10.0.0.1", "bob", t + 2 * NS_PER_S)); /* the third blocks */
    CHECK(web_guard_blocked(&g, "10.0.0.1", "bob", t + 3 * NS_PER_S, &left));
    CHECK_INT(left, 299 * NS_PER_S);
    /* only that pair: another address or another user may try */
    CHECK(!web_guard_blocked(&g, "10.0.0.2", "bob", t + 3 * NS_PER_S, NULL));
    CHECK(!web_guard_blocked(&g, "10.0.0.1", "ann", t + 3 * NS_PER_S, NULL));
    CHECK(web_guard_blocked(&g, "10.0.0.1", "bob", t + 301 * NS_PER_S, NULL));
    CHECK(!web_guard_blocked(&g, "10.0.0.1", "bob", t + 302 * NS_PER_S, NULL));
    /* failures further apart than the window do not add up */
    CHECK(!web_guard_failure(&g, "10.0.0.3", "bob", 0));
    CHECK(!web_guard_failure(&g, "10.0.0.3", "bob", 400 * NS_PER_S));
    CHECK(!web_guard_failure(&g, "10.0.0.3", "bob", 800 * NS_PER_S));
    CHECK(!web_guard_blocked(&g, "10.0.0.3", "bob", 800 * NS_PER_S, NULL));
    /* a good login clears the count */
    web_guard_failure(&g, "10.0.0.4", "bob", 0);
    web_guard_failure(&g, "10.0.0.4", "bob", 1);
    web_guard_success(&g, "10.0.0.4", "bob");
    CHECK(!web_guard_failure(&g, "10.0.0.4", "bob", 2));
}

static void test_users(void) {
    web_users u;
    memset(&u, 0, sizeof u);
    web_roles_defaults(&u.roles);
    CHECK(web_password_rule("short") != NULL);
    CHECK(web_password_rule("long enough") == NULL);
    CHECK(web_user_add(&u, "admin", "admin", "initial-pw", true) == NULL);
    CHECK(strncmp(u.user[0].hash, "$y$", 3) == 0); /* yescrypt */
    CHECK(web_password_check("initial-pw", u.user[0].hash));
    CHECK(!web_password_check("initial-px", u.user[0].hash));
    CHECK(web_user_add(&u, "admin", "viewer", "whatever-1", false) != NULL);
    CHECK(web_user_add(&u, "bob", "nosuch", "whatever-1", false) != NULL);
    CHECK(web_user_add(&u, "bob", "viewer", "short", false) != NULL);
    CHECK(web_user_add(&u, "bob", "viewer", "whatever-1", false) == NULL);
    for (int i = 2; i < WEB_USERS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "u%d", i);
        strcpy(u.user[u.n].name, name); /* no hashing: the count is what matters */
        strcpy(u.user[u.n].role, "viewer");
        u.n++;
    }
    CHECK(web_user_add(&u, "one-too-many", "viewer", "whatever-1", false) != NULL);
    u.n = 2;
    uint8_t rnd[30] = {1, 2, 3};
    char token[WEB_TOKEN_LEN + 1];
    CHECK(web_token_add(&u.user[1], "scada", rnd, 7, token, sizeof token) == NULL);
    CHECK_INT(strlen(token), WEB_TOKEN_LEN);
    CHECK(web_token_user(&u, token) == &u.user[1]);
    token[WEB_TOKEN_LEN - 1] ^= 1;
    CHECK(web_token_user(&u, token) == NULL);
    /* the file round trip keeps users, roles and token hashes, never a secret */
    web_role *custom = &u.roles.role[u.roles.n++];
    memset(custom, 0, sizeof *custom);
    strcpy(custom->name, "meters_only");
    strcpy(custom->rules[0].prefix, "/api/v1/meters");
    custom->n_rules = 1;
    char *text = web_users_to_json(&u);
    CHECK(text && !strstr(text, "initial-pw") && !strstr(text, "gwt_"));
    web_users back;
    char err[256];
    CHECK(web_users_from_json(&back, text, err, sizeof err));
    CHECK_INT(back.n, 2);
    CHECK_STR(back.user[1].name, "bob");
    CHECK(back.user[0].must_change && !back.user[1].must_change);
    CHECK_INT(back.user[1].n_tokens, 1);
    CHECK(web_role_allows(web_role_find(&back.roles, "meters_only"), "GET", "/api/v1/meters"));
    free(text);
    CHECK(!web_users_from_json(&back, "{\"users\":[{\"name\":\"x\",\"role\":\"nosuch\",\"hash\":\"\"}]}",
                               err, sizeof err));
    CHECK(!web_users_from_json(&back, "{", err, sizeof err));
}

static void test_response(void) {
    web_response res;
    web_response_init(&res);
    web_response_header(&res, "Set-Cookie", "a=b");
    web_response_error(&res, 404, "no such path");
    size_t len;
    char *bytes = web_response_serialize(&res, &len);
    CHECK(bytes && strncmp(bytes, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
    CHECK(bytes && strstr(bytes, "Set-Cookie: a=b\r\n") && strstr(bytes, "Content-Length: 24\r\n"));
    CHECK(bytes && memcmp(bytes + len - 24, "{\"error\":\"no such path\"}", 24) == 0);
    free(bytes);
    web_response_free(&res);
}

int main(void) {
    test_request();
    test_routes();
    test_access();
    test_sessions();
    test_guard();
    test_users();
    test_response();
    return test_summary("test_web");
}
