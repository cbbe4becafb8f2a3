/* web_cfgmode: the configuration mode's holder and staged text (web_cfgmode.h). */
#include "north/web/web_cfgmode.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool web_cfgmode_held(const web_cfgmode *m) { return m->holder[0] != '\0'; }

bool web_cfgmode_mine(const web_cfgmode *m, const char *user) {
    return web_cfgmode_held(m) && strcmp(m->holder, user) == 0;
}

bool web_cfgmode_enter(web_cfgmode *m, const char *user, const char *running, int64_t now_s) {
    if (web_cfgmode_mine(m, user))
        return true;
    char *copy = strdup(running ? running : "");
    if (!copy)
        return false;
    free(m->staged);
    m->staged = copy;
    snprintf(m->holder, sizeof m->holder, "%s", user);
    m->since_s = now_s;
    return true;
}

void web_cfgmode_take(web_cfgmode *m, const char *user, int64_t now_s) {
    snprintf(m->holder, sizeof m->holder, "%s", user);
    m->since_s = now_s;
}

bool web_cfgmode_stage(web_cfgmode *m, const char *text) {
    char *copy = strdup(text);
    if (!copy)
        return false;
    free(m->staged);
    m->staged = copy;
    return true;
}

void web_cfgmode_leave(web_cfgmode *m) {
    free(m->staged);
    memset(m, 0, sizeof *m);
}
