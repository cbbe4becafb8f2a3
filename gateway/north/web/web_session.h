/* web_session: login sessions, their cookie and CSRF token, and the login
 * supervision. Pure: the time and the random bytes come from the caller.
 *
 * A session is identified by 32 random bytes (the cookie gwd_session, Secure,
 * HttpOnly, SameSite=Strict) and carries a second random value, the CSRF
 * token, which every state-changing request authenticated by the cookie must
 * repeat in the header X-CSRF-Token (a cross-site page can make the browser
 * send the cookie, never read the token). A session ends after timeout_ns
 * without a request (the gateway clock). */
#ifndef GW_WEB_SESSION_H
#define GW_WEB_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "north/web/web_access.h"

#define WEB_SESSIONS_MAX 64
#define WEB_SESSION_ID_LEN 64 /* hex chars */
#define WEB_CSRF_LEN 32
#define WEB_SESSION_RANDOM 48 /* bytes a new session needs */
#define WEB_COOKIE "gwd_session"

typedef struct web_session {
    bool used;
    char id[WEB_SESSION_ID_LEN + 1];
    char csrf[WEB_CSRF_LEN + 1];
    char user[WEB_NAME_MAX];
    int64_t created_ns, last_ns;
} web_session;

typedef struct web_sessions {
    web_session s[WEB_SESSIONS_MAX];
    int64_t timeout_ns;
} web_sessions;

void web_sessions_init(web_sessions *ss, int64_t timeout_ns);
/* A new session for user; when all are taken the least recently used one goes. */
web_session *web_session_new(web_sessions *ss, const char *user, int64_t now_ns,
                             const uint8_t random[WEB_SESSION_RANDOM]);
/* The live session with this id, its inactivity clock restarted; an expired
 * one is ended and NULL returned. */
web_session *web_session_find(web_sessions *ss, const char *id, int64_t now_ns);
void web_session_end(web_session *s);
/* End every session of user except keep (may be NULL): after a password or role change. */
size_t web_sessions_end_user(web_sessions *ss, const char *user, const web_session *keep);
/* The CSRF header matches (constant time). */
bool web_csrf_ok(const web_session *s, const char *header);
/* The Set-Cookie value for s, or (s NULL) the one that removes the cookie. */
void web_session_cookie(const web_session *s, char *out, size_t cap);

/* Login supervision: max_failures failed logins from one address for one user
 * within block_ns block that pair for block_ns (from the last failure). */
#define WEB_GUARD_MAX 256
typedef struct web_guard_entry {
    char addr[48];
    char user[WEB_NAME_MAX];
    int failures;
    int64_t first_ns, blocked_until_ns;
} web_guard_entry;

typedef struct web_guard {
    web_guard_entry e[WEB_GUARD_MAX];
    size_t n;
    int max_failures;
    int64_t block_ns;
} web_guard;

void web_guard_init(web_guard *g, int max_failures, int64_t block_ns);
/* Blocked now? *remaining_ns (may be NULL) is how long still. */
bool web_guard_blocked(web_guard *g, const char *addr, const char *user, int64_t now_ns,
                       int64_t *remaining_ns);
/* Count a failure; true when it blocks the pair from now on. */
bool web_guard_failure(web_guard *g, const char *addr, const char *user, int64_t now_ns);
void web_guard_success(web_guard *g, const char *addr, const char *user);
#endif
