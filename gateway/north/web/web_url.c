/* web_url: percent-decoding, query parameters and cookies (web_http.h). */
#include <ctype.h>
#include <string.h>
#include "north/web/web_http.h"

static int hex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool web_url_decode(const char *in, size_t len, bool plus_is_space, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return false;
            int h = hex((unsigned char)in[i + 1]), l = hex((unsigned char)in[i + 2]);
            if (h < 0 || l < 0)
                return false;
            c = h * 16 + l;
            i += 2;
            if (c == 0)
                return false; /* no NUL inside names */
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    if (cap == 0)
        return false;
    out[o] = '\0';
    return true;
}

bool web_query_param(const char *query, const char *name, char *out, size_t cap) {
    size_t nlen = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
            return web_url_decode(p + nlen + 1, len - nlen - 1, true, out, cap);
        if (len == nlen && strncmp(p, name, nlen) == 0)
            return web_url_decode("", 0, true, out, cap);
        p = end ? end + 1 : NULL;
    }
    return false;
}

bool web_cookie_get(const char *header, const char *name, char *out, size_t cap) {
    size_t nlen = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            if (vlen >= cap)
                return false;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}
