/* web_users: the users (at most 32), their roles and API tokens, kept in
 * STATE_DIR/users.json (mode 0600), replaced whole on every change
 * (core/text_file.h). Why a file and not the store: the web server runs
 * without a store too, an account must survive a store being deleted to free
 * space, and one small file is what an admin restores from a backup.
 *
 * Passwords are hashed with yescrypt (libcrypt's crypt_gensalt/crypt_r); API
 * tokens are random and only their SHA-256 is kept, so neither can be read
 * back from the file. */
#ifndef GW_WEB_USERS_H
#define GW_WEB_USERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "north/web/web_access.h"

#define WEB_USERS_MAX 32
#define WEB_TOKENS_MAX 8
#define WEB_HASH_MAX 128
#define WEB_PASSWORD_MIN 8
#define WEB_PASSWORD_MAX 128
#define WEB_TOKEN_ID_LEN 12   /* hex chars */
#define WEB_TOKEN_LEN (4 + WEB_TOKEN_ID_LEN + 1 + 48) /* gwt_<id>_<secret> */

typedef struct web_token {
    char id[WEB_TOKEN_ID_LEN + 1];
    char sha256[65];
    char label[WEB_NAME_MAX];
    int64_t created_ns;
} web_token;

typedef struct web_user {
    char name[WEB_NAME_MAX];
    char role[WEB_NAME_MAX];
    char hash[WEB_HASH_MAX];
    bool must_change; /* the initial password: nothing but changing it is allowed */
    web_token tokens[WEB_TOKENS_MAX];
    size_t n_tokens;
} web_user;

typedef struct web_users {
    web_user user[WEB_USERS_MAX];
    size_t n;
    web_roles roles;
} web_users;

/* Read path; a missing file gives false with *missing set (then make the first admin). */
bool web_users_load(web_users *u, const char *path, bool *missing, char *err, size_t cap);
bool web_users_save(const web_users *u, const char *path, char *err, size_t cap);
/* The JSON text of the file (allocated) and its reading, for the tests. */
char *web_users_to_json(const web_users *u);
bool web_users_from_json(web_users *u, const char *text, char *err, size_t cap);

web_user *web_user_find(web_users *u, const char *name);
/* NULL when the password is acceptable, else why not. */
const char *web_password_rule(const char *password);
/* yescrypt hash of password into out; false when libcrypt fails. */
bool web_password_hash(const char *password, char *out, size_t cap);
bool web_password_check(const char *password, const char *hash);
/* A new user (role must exist); NULL on success, else why not. */
const char *web_user_add(web_users *u, const char *name, const char *role, const char *password,
                         bool must_change);
bool web_user_remove(web_users *u, const char *name);
/* How many users have the role (an admin must remain). */
size_t web_users_with_role(const web_users *u, const char *role);

/* A new API token for user from 30 random bytes: the token text (shown once)
 * into out (WEB_TOKEN_LEN + 1). NULL on success, else why not. */
const char *web_token_add(web_user *user, const char *label, const uint8_t random[30],
                          int64_t now_ns, char *out, size_t cap);
/* The user a presented token belongs to, or NULL. */
web_user *web_token_user(web_users *u, const char *token);
bool web_token_remove(web_user *user, const char *id);
#endif
