/* web_guard: login supervision per (address, user) (web_session.h). */
#include <stdio.h>
#include <string.h>
#include "north/web/web_session.h"

void web_guard_init(web_guard *g, int max_failures, int64_t block_ns) {
    memset(g, 0, sizeof *g);
    g->max_failures = max_failures;
    g->block_ns = block_ns;
}

static web_guard_entry *find(web_guard *g, const char *addr, const char *user) {
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->e[i].addr, addr) == 0 && strncmp(g->e[i].user, user, WEB_NAME_MAX - 1) == 0)
            return &g->e[i];
    return NULL;
}

static void drop(web_guard *g, web_guard_entry *e) { *e = g->e[--g->n]; }

/* An entry whose block and counting window are over is forgotten. */
static bool stale(const web_guard *g, const web_guard_entry *e, int64_t now_ns) {
    return now_ns >= e->blocked_until_ns && now_ns - e->first_ns >= g->block_ns;
}

bool web_guard_blocked(web_guard *g, const char *addr, const char *user, int64_t now_ns,
                       int64_t *remaining_ns) {
    web_guard_entry *e = find(g, addr, user);
    if (e && stale(g, e, now_ns))
        drop(g, e), e = NULL;
    bool blocked = e && now_ns < e->blocked_until_ns;
    if (remaining_ns)
        *remaining_ns = blocked ? e->blocked_until_ns - now_ns : 0;
    return blocked;
}

bool web_guard_failure(web_guard *g, const char *addr, const char *user, int64_t now_ns) {
    web_guard_entry *e = find(g, addr, user);
    if (e && stale(g, e, now_ns))
        drop(g, e), e = NULL;
    if (!e) {
        if (g->n == WEB_GUARD_MAX) { /* full: forget the oldest counting */
            size_t old = 0;
            for (size_t i = 1; i < g->n; i++)
                if (g->e[i].first_ns < g->e[old].first_ns)
                    old = i;
            drop(g, &g->e[old]);
        }
        e = &g->e[g->n++];
        memset(e, 0, sizeof *e);
        snprintf(e->addr, sizeof e->addr, "%s", addr);
        snprintf(e->user, sizeof e->user, "%s", user);
        e->first_ns = now_ns;
    }
    if (++e->failures >= g->max_failures) {
        e->blocked_until_ns = now_ns + g->block_ns;
        e->first_ns = now_ns;
        return e->failures == g->max_failures;
    }
    return false;
}

void web_guard_success(web_guard *g, const char *addr, const char *user) {
    web_guard_entry *e = find(g, addr, user);
    if (e)
        drop(g, e);
}
