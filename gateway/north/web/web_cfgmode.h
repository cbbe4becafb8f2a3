/* web_cfgmode: the exclusive configuration mode (docs/web-api.md): who holds
 * it, since when, and the text being edited (staged). Pure: the handlers
 * (web_api_config.c) decide who may do what and the service applies.
 *
 * One holder at a time, a user name (the mode belongs to the user, not to
 * one session: the same user from another tab or with a token continues).
 * Entering copies the running text into the staged one; leaving drops it. */
#ifndef GW_WEB_CFGMODE_H
#define GW_WEB_CFGMODE_H
#include <stdbool.h>
#include <stdint.h>
#include "north/web/web_access.h"

typedef struct web_cfgmode {
    char holder[WEB_NAME_MAX]; /* "" when nobody holds it */
    int64_t since_s;           /* wall seconds of the entry (or takeover) */
    char *staged;              /* malloc'd, NULL when not held */
} web_cfgmode;

bool web_cfgmode_held(const web_cfgmode *m);
bool web_cfgmode_mine(const web_cfgmode *m, const char *user);
/* user holds the mode from now on with staged = running (when it was not
 * theirs already: a holder entering again keeps the staged text). false when
 * out of memory. */
bool web_cfgmode_enter(web_cfgmode *m, const char *user, const char *running, int64_t now_s);
/* Another user takes the mode over; the staged text stays (the new holder
 * sees what was being edited and may discard it). */
void web_cfgmode_take(web_cfgmode *m, const char *user, int64_t now_s);
/* Replace the staged text (copied); false when out of memory. */
bool web_cfgmode_stage(web_cfgmode *m, const char *text);
void web_cfgmode_leave(web_cfgmode *m);
#endif
