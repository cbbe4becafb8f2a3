/* web_route: matching a method and path against the route table (web_route.h). */
#include <stdio.h>
#include <string.h>
#include "north/web/web_route.h"

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seg_len(const char *s) {
    const char *e = strchr(s, '/');
    return e ? (size_t)(e - s) : strlen(s);
}

bool web_pattern_match(const char *pattern, const char *path, web_match *m) {
    const char *p = pattern, *s = path;
    m->n_params = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t n = seg_len(s);
            if (!close || n == 0 || n >= WEB_PARAM_LEN || m->n_params >= WEB_PARAMS_MAX)
                return false;
            memcpy(m->params[m->n_params], s, n);
            m->params[m->n_params++][n] = '\0';
            p = close + 1;
            s += n;
        } else if (*p++ != *s++) {
            return false;
        }
    }
    /* one trailing slash is tolerated */
    return *p == '\0' && (*s == '\0' || (s[0] == '/' && s[1] == '\0'));
}

bool web_route_match(const web_route *table, size_t n, const char *method, const char *path,
                     web_match *m) {
    m->route = NULL;
    m->path_known = false;
    web_match tmp;
    for (size_t i = 0; i < n; i++) {
        if (!web_pattern_match(table[i].pattern, path, &tmp))
            continue;
        m->path_known = true;
        if (strcmp(table[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(table[i].method, "GET") == 0)) {
            memcpy(m->params, tmp.params, sizeof tmp.params);
            m->n_params = tmp.n_params;
            m->route = &table[i];
            return true;
        }
    }
    return false;
}

void web_route_allow(const web_route *table, size_t n, const char *path, char *out, size_t cap) {
    web_match tmp;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++)
        if (web_pattern_match(table[i].pattern, path, &tmp) && !strstr(out, table[i].method))
            used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
                                     table[i].method);
}
