/* web_session: sessions, cookies and CSRF tokens (web_session.h). */
#include <stdio.h>
#include <string.h>
#include "north/web/web_session.h"

static void to_hex(const uint8_t *b, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Equal strings, in a time that does not depend on where they differ. */
static bool same_secret(const char *a, const char *b) {
    size_t n = strlen(a);
    if (strlen(b) != n)
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

void web_sessions_init(web_sessions *ss, int64_t timeout_ns) {
    memset(ss, 0, sizeof *ss);
    ss->timeout_ns = timeout_ns;
}

web_session *web_session_new(web_sessions *ss, const char *user, int64_t now_ns,
                             const uint8_t random[WEB_SESSION_RANDOM]) {
    web_session *slot = NULL;
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        web_session *s = &ss->s[i];
        if (s->used && now_ns - s->last_ns >= ss->timeout_ns)
            web_session_end(s);
        if (!s->used) {
            slot = s;
            break;
        }
        if (!slot || s->last_ns < slot->last_ns)
            slot = s;
    }
    memset(slot, 0, sizeof *slot);
    slot->used = true;
    to_hex(random, WEB_SESSION_ID_LEN / 2, slot->id);
    to_hex(random + WEB_SESSION_ID_LEN / 2, WEB_CSRF_LEN / 2, slot->csrf);
    snprintf(slot->user, sizeof slot->user, "%s", user);
    slot->created_ns = slot->last_ns = now_ns;
    return slot;
}

web_session *web_session_find(web_sessions *ss, const char *id, int64_t now_ns) {
    if (!id || strlen(id) != WEB_SESSION_ID_LEN)
        return NULL;
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        web_session *s = &ss->s[i];
        if (!s->used || !same_secret(s->id, id))
            continue;
        if (now_ns - s->last_ns >= ss->timeout_ns) {
            web_session_end(s);
            return NULL;
        }
        s->last_ns = now_ns;
        return s;
    }
    return NULL;
}

void web_session_end(web_session *s) { memset(s, 0, sizeof *s); }

size_t web_sessions_end_user(web_sessions *ss, const char *user, const web_session *keep) {
    size_t n = 0;
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
        if (ss->s[i].used && &ss->s[i] != keep && strcmp(ss->s[i].user, user) == 0) {
            web_session_end(&ss->s[i]);
            n++;
        }
    return n;
}

bool web_csrf_ok(const web_session *s, const char *header) {
    return s && header && s->csrf[0] && same_secret(s->csrf, header);
}

void web_session_cookie(const web_session *s, char *out, size_t cap) {
    if (s)
        snprintf(out, cap, WEB_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict", s->id);
    else
        snprintf(out, cap, WEB_COOKIE "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
}
