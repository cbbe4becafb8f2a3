/* web_api_session: log in, who am I, log out, change the own password. */
#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "north/web/web_ctx.h"

static json_t *session_json(const web_user *u, const web_session *s, int64_t timeout_ns) {
    return json_pack("{s:s,s:s,s:b,s:s?,s:I}", "user", u->name, "role", u->role, "must_change",
                     u->must_change, "csrf_token", s ? s->csrf : NULL, "timeout_s",
                     (json_int_t)(timeout_ns / NS_PER_S));
}

static void refuse_login(web_ctx *c, const char *user) {
    char text[160];
    int64_t now = clock_mono_ns();
    bool blocks = web_guard_failure(&c->srv->guard, c->peer, user, now);
    snprintf(text, sizeof text, "user %s from %s: wrong user or password", user, c->peer);
    web_audit(c->srv, "login_failed", text);
    if (blocks) {
        snprintf(text, sizeof text, "user %s from %s: blocked for %llds after %d failures", user,
                 c->peer, (long long)(c->srv->guard.block_ns / NS_PER_S), c->srv->guard.max_failures);
        web_audit(c->srv, "login_blocked", text);
    }
    web_reply_error(c, 401, "wrong user or password");
}

void web_api_login(web_ctx *c) {
    json_t *b = web_body_object(c);
    if (!b)
        return;
    const char *user = json_string_value(json_object_get(b, "user"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    int64_t remaining;
    if (!user || !pw || !web_name_ok(user)) {
        web_reply_error(c, 400, "the body needs user and password");
    } else if (web_guard_blocked(&c->srv->guard, c->peer, user, clock_mono_ns(), &remaining)) {
        char why[128];
        snprintf(why, sizeof why, "too many failed logins: blocked for %llds more",
                 (long long)((remaining + NS_PER_S - 1) / NS_PER_S));
        web_reply_error(c, 429, why);
    } else {
        web_user *u = web_user_find(&c->srv->users, user);
        uint8_t rnd[WEB_SESSION_RANDOM];
        if (!u || !web_password_check(pw, u->hash)) {
            refuse_login(c, user);
        } else if (!web_random(rnd, sizeof rnd)) {
            web_reply_error(c, 503, "no random numbers");
        } else {
            web_guard_success(&c->srv->guard, c->peer, user);
            web_session *s = web_session_new(&c->srv->sessions, u->name, clock_mono_ns(), rnd);
            char cookie[160], text[128];
            web_session_cookie(s, cookie, sizeof cookie);
            web_response_header(c->res, "Set-Cookie", cookie);
            snprintf(text, sizeof text, "user %s from %s", u->name, c->peer);
            web_audit(c->srv, "login", text);
            web_reply_json(c, 200, session_json(u, s, c->srv->sessions.timeout_ns));
        }
    }
    json_decref(b);
}

void web_api_whoami(web_ctx *c) {
    web_reply_json(c, 200, session_json(c->user, c->session, c->srv->sessions.timeout_ns));
}

void web_api_logout(web_ctx *c) {
    char cookie[160];
    if (c->session)
        web_session_end(c->session);
    web_session_cookie(NULL, cookie, sizeof cookie);
    web_response_header(c->res, "Set-Cookie", cookie);
    web_reply_json(c, 200, json_pack("{s:b}", "logged_out", 1));
}

void web_api_password(web_ctx *c) {
    json_t *b = web_body_object(c);
    if (!b)
        return;
    const char *old = json_string_value(json_object_get(b, "old_password"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    const char *why = pw ? web_password_rule(pw) : "the body needs old_password and password";
    if (!why && (!old || !web_password_check(old, c->user->hash)))
        why = "old_password is wrong";
    else if (!why && strcmp(old, pw) == 0)
        why = "the new password must differ from the old one";
    char hash[WEB_HASH_MAX];
    if (!why && !web_password_hash(pw, hash, sizeof hash))
        why = "the password could not be hashed";
    if (why) {
        web_reply_error(c, 400, why);
    } else {
        strcpy(c->user->hash, hash);
        c->user->must_change = false;
        web_sessions_end_user(&c->srv->sessions, c->user->name, c->session);
        web_users_persist(c->srv);
        char text[96];
        snprintf(text, sizeof text, "user %s changed the own password", c->user->name);
        web_audit(c->srv, "password_changed", text);
        web_reply_json(c, 200, session_json(c->user, c->session, c->srv->sessions.timeout_ns));
    }
    json_decref(b);
}
