/* web_users: the user list, its roles, and the users.json file (web_users.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "core/text_file.h"
#include "north/web/web_users.h"

web_user *web_user_find(web_users *u, const char *name) {
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->user[i].name, name) == 0)
            return &u->user[i];
    return NULL;
}

size_t web_users_with_role(const web_users *u, const char *role) {
    size_t n = 0;
    for (size_t i = 0; i < u->n; i++)
        n += strcmp(u->user[i].role, role) == 0;
    return n;
}

const char *web_user_add(web_users *u, const char *name, const char *role, const char *password,
                         bool must_change) {
    if (!web_name_ok(name))
        return "a user name is 1-32 of A-Z a-z 0-9 _ . -";
    if (web_user_find(u, name))
        return "the user exists";
    if (u->n >= WEB_USERS_MAX)
        return "there are at most 32 users";
    if (!web_role_find(&u->roles, role))
        return "no such role";
    const char *why = web_password_rule(password);
    if (why)
        return why;
    web_user *nu = &u->user[u->n];
    memset(nu, 0, sizeof *nu);
    snprintf(nu->name, sizeof nu->name, "%s", name);
    snprintf(nu->role, sizeof nu->role, "%s", role);
    if (!web_password_hash(password, nu->hash, sizeof nu->hash))
        return "the password could not be hashed";
    nu->must_change = must_change;
    u->n++;
    return NULL;
}

bool web_user_remove(web_users *u, const char *name) {
    web_user *x = web_user_find(u, name);
    if (!x)
        return false;
    *x = u->user[--u->n];
    return true;
}

/* ---- the file ---- */

static json_t *role_json(const web_role *r) {
    json_t *rules = json_array();
    for (size_t k = 0; k < r->n_rules; k++)
        json_array_append_new(rules, json_pack("{s:s,s:b}", "prefix", r->rules[k].prefix, "write",
                                               r->rules[k].write));
    return json_pack("{s:s,s:o}", "name", r->name, "rules", rules);
}

static json_t *user_json(const web_user *x) {
    json_t *tokens = json_array();
    for (size_t k = 0; k < x->n_tokens; k++)
        json_array_append_new(tokens, json_pack("{s:s,s:s,s:s,s:I}", "id", x->tokens[k].id,
                                                "sha256", x->tokens[k].sha256, "label",
                                                x->tokens[k].label, "created_ns",
                                                (json_int_t)x->tokens[k].created_ns));
    return json_pack("{s:s,s:s,s:s,s:b,s:o}", "name", x->name, "role", x->role, "hash", x->hash,
                     "must_change", x->must_change, "tokens", tokens);
}

char *web_users_to_json(const web_users *u) {
    json_t *users = json_array(), *roles = json_array();
    for (size_t i = 0; i < u->n; i++)
        json_array_append_new(users, user_json(&u->user[i]));
    for (size_t i = 0; i < u->roles.n; i++)
        if (!u->roles.role[i].builtin)
            json_array_append_new(roles, role_json(&u->roles.role[i]));
    json_t *doc = json_pack("{s:i,s:o,s:o}", "version", 1, "users", users, "roles", roles);
    char *s = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(doc);
    return s;
}

static bool copy_str(char *dst, size_t cap, json_t *v) {
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap)
        return false;
    strcpy(dst, s);
    return true;
}

static bool read_role(web_role *r, json_t *o) {
    json_t *rules = json_object_get(o, "rules");
    memset(r, 0, sizeof *r);
    if (!copy_str(r->name, sizeof r->name, json_object_get(o, "name")) || !json_is_array(rules) ||
        json_array_size(rules) > WEB_RULES_MAX)
        return false;
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule) {
        if (!copy_str(r->rules[i].prefix, sizeof r->rules[i].prefix, json_object_get(rule, "prefix")))
            return false;
        r->rules[i].write = json_is_true(json_object_get(rule, "write"));
        r->n_rules++;
    }
    return true;
}

static bool read_user(web_user *x, json_t *o) {
    json_t *tokens = json_object_get(o, "tokens");
    memset(x, 0, sizeof *x);
    if (!copy_str(x->name, sizeof x->name, json_object_get(o, "name")) ||
        !copy_str(x->role, sizeof x->role, json_object_get(o, "role")) ||
        !copy_str(x->hash, sizeof x->hash, json_object_get(o, "hash")) ||
        (tokens && (!json_is_array(tokens) || json_array_size(tokens) > WEB_TOKENS_MAX)))
        return false;
    x->must_change = json_is_true(json_object_get(o, "must_change"));
    size_t i;
    json_t *t;
    json_array_foreach(tokens, i, t) {
        web_token *k = &x->tokens[i];
        if (!copy_str(k->id, sizeof k->id, json_object_get(t, "id")) ||
            !copy_str(k->sha256, sizeof k->sha256, json_object_get(t, "sha256")) ||
            !copy_str(k->label, sizeof k->label, json_object_get(t, "label")))
            return false;
        k->created_ns = json_integer_value(json_object_get(t, "created_ns"));
        x->n_tokens++;
    }
    return true;
}

bool web_users_from_json(web_users *u, const char *text, char *err, size_t cap) {
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    memset(u, 0, sizeof *u);
    web_roles_defaults(&u->roles);
    if (!doc) {
        snprintf(err, cap, "line %d: %s", je.line, je.text);
        return false;
    }
    json_t *users = json_object_get(doc, "users"), *roles = json_object_get(doc, "roles");
    bool ok = json_is_array(users) && json_array_size(users) <= WEB_USERS_MAX &&
              (!roles || (json_is_array(roles) &&
                          json_array_size(roles) + u->roles.n <= WEB_ROLES_MAX));
    size_t i;
    json_t *v;
    json_array_foreach(roles, i, v) {
        if (!ok || !read_role(&u->roles.role[u->roles.n], v) ||
            web_role_find(&u->roles, u->roles.role[u->roles.n].name)) { /* a duplicate */
            ok = false;
            break;
        }
        u->roles.n++;
    }
    json_array_foreach(users, i, v) {
        if (!ok || !read_user(&u->user[u->n], v) || !web_role_find(&u->roles, u->user[u->n].role)) {
            ok = false;
            break;
        }
        u->n++;
    }
    json_decref(doc);
    if (!ok)
        snprintf(err, cap, "not a users file (users, roles, their names and hashes)");
    return ok;
}

bool web_users_load(web_users *u, const char *path, bool *missing, char *err, size_t cap) {
    *missing = false;
    FILE *f = fopen(path, "r");
    if (!f) {
        *missing = errno == ENOENT;
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return false;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    if (m)
        fclose(m);
    char why[256];
    bool ok = text && web_users_from_json(u, text, why, sizeof why);
    if (!ok)
        snprintf(err, cap, "%s: %s", path, text ? why : "out of memory");
    free(text);
    return ok;
}

static void write_text(FILE *f, const void *arg) { fputs(arg, f); }

bool web_users_save(const web_users *u, const char *path, char *err, size_t cap) {
    char *text = web_users_to_json(u);
    if (!text) {
        snprintf(err, cap, "%s: out of memory", path);
        return false;
    }
    mode_t old = umask(077); /* hashes are secrets too: 0600 */
    bool ok = text_file_replace(path, write_text, text, true, err, cap);
    umask(old);
    free(text);
    return ok;
}
