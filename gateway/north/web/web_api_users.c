/* web_api_users: users, their API tokens, and roles (admin only, by the
 * access matrix). Every change is written to users.json and audited. */
#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "north/web/web_ctx.h"

static json_t *user_json(const web_user *u) {
    json_t *tokens = json_array();
    for (size_t k = 0; k < u->n_tokens; k++) {
        char iso[32];
        web_iso(u->tokens[k].created_ns, iso);
        json_array_append_new(tokens, json_pack("{s:s,s:s,s:s}", "id", u->tokens[k].id, "label",
                                                u->tokens[k].label, "created", iso));
    }
    return json_pack("{s:s,s:s,s:b,s:o}", "name", u->name, "role", u->role, "must_change",
                     u->must_change, "tokens", tokens);
}

static void changed(web_ctx *c, const char *kind, const char *fmt, const char *a, const char *b) {
    char what[160], text[256];
    snprintf(what, sizeof what, fmt, a, b ? b : "");
    snprintf(text, sizeof text, "user %s: %s", c->user->name, what);
    web_users_persist(c->srv);
    web_audit(c->srv, kind, text);
}

void web_api_users(web_ctx *c) {
    json_t *a = json_array();
    for (size_t i = 0; i < c->srv->users.n; i++)
        json_array_append_new(a, user_json(&c->srv->users.user[i]));
    web_reply_json(c, 200, json_pack("{s:o,s:i}", "users", a, "max", WEB_USERS_MAX));
}

static web_user *target(web_ctx *c) {
    web_user *u = web_user_find(&c->srv->users, c->match->params[0]);
    if (!u)
        web_reply_error(c, 404, "no such user");
    return u;
}

void web_api_user_get(web_ctx *c) {
    web_user *u = target(c);
    if (u)
        web_reply_json(c, 200, user_json(u));
}

void web_api_user_add(web_ctx *c) {
    json_t *b = web_body_object(c);
    if (!b)
        return;
    const char *name = json_string_value(json_object_get(b, "name"));
    const char *role = json_string_value(json_object_get(b, "role"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    const char *why = name && role && pw ? web_user_add(&c->srv->users, name, role, pw, true)
                                         : "the body needs name, role and password";
    if (why) {
        web_reply_error(c, strcmp(why, "the user exists") == 0 ? 409 : 400, why);
    } else {
        changed(c, "user_added", "added user %s (role %s)", name, role);
        web_reply_json(c, 201, user_json(web_user_find(&c->srv->users, name)));
    }
    json_decref(b);
}

/* The last admin may not lose the role. */
static bool keeps_an_admin(web_ctx *c, const web_user *u, const char *new_role) {
    return strcmp(u->role, "admin") != 0 || (new_role && strcmp(new_role, "admin") == 0) ||
           web_users_with_role(&c->srv->users, "admin") > 1;
}

void web_api_user_change(web_ctx *c) {
    web_user *u = target(c);
    json_t *b = u ? web_body_object(c) : NULL;
    if (!b)
        return;
    const char *role = json_string_value(json_object_get(b, "role"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    const char *why = !role && !pw ? "the body needs role and/or password"
                      : role && !web_role_find(&c->srv->users.roles, role) ? "no such role"
                      : role && !keeps_an_admin(c, u, role) ? "the last admin keeps the role admin"
                      : pw ? web_password_rule(pw) : NULL;
    char hash[WEB_HASH_MAX];
    if (!why && pw && !web_password_hash(pw, hash, sizeof hash))
        why = "the password could not be hashed";
    if (why) {
        web_reply_error(c, 400, why);
    } else {
        if (role)
            snprintf(u->role, sizeof u->role, "%s", role);
        if (pw) { /* set by an admin: the user changes it at the next login */
            strcpy(u->hash, hash);
            u->must_change = strcmp(u->name, c->user->name) != 0;
        }
        web_sessions_end_user(&c->srv->sessions, u->name, c->session);
        changed(c, "user_changed", "changed user %s%s", u->name,
                role && pw ? " (role, password)" : role ? " (role)" : " (password)");
        web_reply_json(c, 200, user_json(u));
    }
    json_decref(b);
}

void web_api_user_remove(web_ctx *c) {
    web_user *u = target(c);
    if (!u)
        return;
    if (!keeps_an_admin(c, u, NULL) || u == c->user) {
        web_reply_error(c, 409, u == c->user ? "a user cannot remove the own account"
                                             : "the last admin cannot be removed");
        return;
    }
    char name[WEB_NAME_MAX];
    snprintf(name, sizeof name, "%s", u->name);
    web_sessions_end_user(&c->srv->sessions, name, NULL);
    web_user_remove(&c->srv->users, name);
    changed(c, "user_removed", "removed user %s%s", name, NULL);
    web_reply_json(c, 200, json_pack("{s:s}", "removed", name));
}

void web_api_token_add(web_ctx *c) {
    web_user *u = target(c);
    json_t *b = u ? web_body_object(c) : NULL;
    if (!b)
        return;
    const char *label = json_string_value(json_object_get(b, "label"));
    uint8_t rnd[30];
    char token[WEB_TOKEN_LEN + 1];
    const char *why = !label ? "the body needs a label"
                      : !web_random(rnd, sizeof rnd)
                          ? "no random numbers"
                          : web_token_add(u, label, rnd, clock_wall_ns(), token, sizeof token);
    if (why) {
        web_reply_error(c, 400, why);
    } else {
        changed(c, "token_added", "made an API token for %s (%s)", u->name, label);
        web_reply_json(c, 201, json_pack("{s:s,s:s,s:s}", "id", u->tokens[u->n_tokens - 1].id,
                                         "label", label, "token", token));
    }
    json_decref(b);
}

void web_api_token_remove(web_ctx *c) {
    web_user *u = target(c);
    if (!u)
        return;
    if (!web_token_remove(u, c->match->params[1])) {
        web_reply_error(c, 404, "no such token");
        return;
    }
    changed(c, "token_removed", "removed API token %s of %s", c->match->params[1], u->name);
    web_reply_json(c, 200, json_pack("{s:s}", "removed", c->match->params[1]));
}

/* ---- roles ---- */

static json_t *role_json(const web_role *r) {
    json_t *rules = json_array();
    for (size_t k = 0; k < r->n_rules; k++)
        json_array_append_new(rules, json_pack("{s:s,s:b}", "prefix", r->rules[k].prefix, "write",
                                               r->rules[k].write));
    return json_pack("{s:s,s:b,s:o}", "name", r->name, "builtin", r->builtin, "rules", rules);
}

void web_api_roles(web_ctx *c) {
    json_t *a = json_array();
    for (size_t i = 0; i < c->srv->users.roles.n; i++)
        json_array_append_new(a, role_json(&c->srv->users.roles.role[i]));
    web_reply_json(c, 200, json_pack("{s:o}", "roles", a));
}

/* {"rules":[{"prefix":"/api/v1/meters","write":false},...]} into r; why not, or NULL. */
static const char *read_rules(json_t *rules, web_role *r) {
    if (!json_is_array(rules) || json_array_size(rules) == 0 || json_array_size(rules) > WEB_RULES_MAX)
        return "rules must be a list of 1-16 {prefix, write}";
    size_t i;
    json_t *v;
    r->n_rules = 0;
    json_array_foreach(rules, i, v) {
        const char *p = json_string_value(json_object_get(v, "prefix"));
        if (!p || strncmp(p, "/api/", 5) != 0 || strlen(p) >= WEB_PREFIX_MAX)
            return "a rule's prefix is a path starting /api/";
        snprintf(r->rules[i].prefix, sizeof r->rules[i].prefix, "%s", p);
        r->rules[i].write = json_is_true(json_object_get(v, "write"));
        r->n_rules++;
    }
    return NULL;
}

void web_api_role_put(web_ctx *c) {
    const char *name = c->match->params[0];
    web_roles *roles = &c->srv->users.roles;
    web_role *r = (web_role *)web_role_find(roles, name);
    json_t *b = web_body_object(c);
    if (!b)
        return;
    web_role next = {0};
    if (strlen(name) < sizeof next.name)
        memcpy(next.name, name, strlen(name) + 1);
    const char *why = !web_name_ok(name)                      ? "a role name is 1-32 of A-Z a-z 0-9 _ . -"
                      : r && r->builtin                       ? "a built-in role cannot be changed"
                      : !r && roles->n >= WEB_ROLES_MAX       ? "there are at most 16 roles"
                                                              : read_rules(json_object_get(b, "rules"), &next);
    json_decref(b);
    if (why) {
        web_reply_error(c, r && r->builtin ? 409 : 400, why);
        return;
    }
    bool is_new = !r;
    if (!r)
        r = &roles->role[roles->n++];
    *r = next;
    changed(c, "role_changed", is_new ? "added role %s%s" : "changed role %s%s", name, NULL);
    web_reply_json(c, is_new ? 201 : 200, role_json(r));
}

void web_api_role_remove(web_ctx *c) {
    web_roles *roles = &c->srv->users.roles;
    web_role *r = (web_role *)web_role_find(roles, c->match->params[0]);
    if (!r) {
        web_reply_error(c, 404, "no such role");
    } else if (r->builtin || web_users_with_role(&c->srv->users, r->name) > 0) {
        web_reply_error(c, 409, r->builtin ? "a built-in role cannot be removed"
                                           : "users still have this role");
    } else {
        char name[WEB_NAME_MAX];
        snprintf(name, sizeof name, "%s", r->name);
        *r = roles->role[--roles->n];
        changed(c, "role_removed", "removed role %s%s", name, NULL);
        web_reply_json(c, 200, json_pack("{s:s}", "removed", name));
    }
}
