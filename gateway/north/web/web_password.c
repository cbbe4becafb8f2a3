/* web_password: yescrypt hashes through libcrypt (web_users.h). */
#include <crypt.h>
#include <string.h>
#include "north/web/web_users.h"

const char *web_password_rule(const char *password) {
    size_t n = strlen(password);
    if (n < WEB_PASSWORD_MIN)
        return "a password has at least 8 characters";
    if (n > WEB_PASSWORD_MAX)
        return "a password has at most 128 characters";
    return NULL;
}

bool web_password_hash(const char *password, char *out, size_t cap) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    /* NULL random bytes: libcrypt draws them from the kernel */
    if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting))
        return false;
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    const char *h = crypt_r(password, setting, &data);
    if (!h || h[0] == '*' || strlen(h) >= cap)
        return false;
    strcpy(out, h);
    return true;
}

bool web_password_check(const char *password, const char *hash) {
    if (!hash || strncmp(hash, "$y$", 3) != 0)
        return false;
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    const char *h = crypt_r(password, hash, &data);
    if (!h || h[0] == '*')
        return false;
    size_t n = strlen(hash);
    if (strlen(h) != n)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(h[i] ^ hash[i]);
    return diff == 0;
}
