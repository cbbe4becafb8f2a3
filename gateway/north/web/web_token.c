/* web_token: API tokens for machine clients (web_users.h). Only a token's
 * SHA-256 is kept; the text is shown once when it is made. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "north/web/web_users.h"

static void hex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = '\0';
}

static void sha256_hex(const char *text, char out[65]) {
    uint8_t md[32];
    unsigned len = 0;
    EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
    hex(md, 32, out);
}

const char *web_token_add(web_user *user, const char *label, const uint8_t random[30],
                          int64_t now_ns, char *out, size_t cap) {
    if (user->n_tokens >= WEB_TOKENS_MAX)
        return "a user has at most 8 API tokens";
    if (!web_name_ok(label))
        return "a token label is 1-32 of A-Z a-z 0-9 _ . -";
    if (cap < WEB_TOKEN_LEN + 1)
        return "no room";
    web_token *t = &user->tokens[user->n_tokens];
    memset(t, 0, sizeof *t);
    hex(random, WEB_TOKEN_ID_LEN / 2, t->id);
    char secret[49];
    hex(random + WEB_TOKEN_ID_LEN / 2, 24, secret);
    snprintf(out, cap, "gwt_%s_%s", t->id, secret);
    sha256_hex(out, t->sha256);
    snprintf(t->label, sizeof t->label, "%s", label);
    t->created_ns = now_ns;
    user->n_tokens++;
    return NULL;
}

web_user *web_token_user(web_users *u, const char *token) {
    if (!token || strlen(token) != WEB_TOKEN_LEN || strncmp(token, "gwt_", 4) != 0)
        return NULL;
    char id[WEB_TOKEN_ID_LEN + 1], sum[65];
    memcpy(id, token + 4, WEB_TOKEN_ID_LEN);
    id[WEB_TOKEN_ID_LEN] = '\0';
    sha256_hex(token, sum);
    for (size_t i = 0; i < u->n; i++)
        for (size_t k = 0; k < u->user[i].n_tokens; k++) {
            const web_token *t = &u->user[i].tokens[k];
            if (strcmp(t->id, id) == 0 && CRYPTO_memcmp(t->sha256, sum, 64) == 0)
                return &u->user[i];
        }
    return NULL;
}

bool web_token_remove(web_user *user, const char *id) {
    for (size_t k = 0; k < user->n_tokens; k++)
        if (strcmp(user->tokens[k].id, id) == 0) {
            user->tokens[k] = user->tokens[--user->n_tokens];
            return true;
        }
    return false;
}
