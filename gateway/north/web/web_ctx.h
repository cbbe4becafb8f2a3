/* web_ctx: what a route handler gets, and the helpers handlers share.
 * The interface for whoever adds rows to the route table (web_routes.c):
 *
 *   static void get_thing(web_ctx *c) {
 *       json_t *o = json_pack("{s:i}", "n", 1);
 *       web_reply_json(c, 200, o);            // takes o
 *   }
 *
 * Authentication, the access matrix and CSRF are checked before a handler
 * runs (web_dispatch.c); c->user is the caller (NULL only on WEB_PUBLIC rows). */
#ifndef GW_WEB_CTX_H
#define GW_WEB_CTX_H
#include <jansson.h>
#include "north/web/web_int.h"
#include "north/web/web_route.h"

struct web_ctx {
    web_server *srv;
    const web_request *req;
    web_response *res;
    const web_match *match; /* match->params: the {} segments in order */
    const char *peer;       /* the client's address */
    web_user *user;         /* the caller */
    web_session *session;   /* NULL when authenticated by an API token */
};

/* Answer with a JSON value (taken; NULL: 500). */
void web_reply_json(web_ctx *c, int status, json_t *value);
void web_reply_error(web_ctx *c, int status, const char *text);
/* The body as a JSON object; NULL after answering 400/415 itself. */
json_t *web_body_object(web_ctx *c);
/* A query parameter as a number (def when absent); false after answering 400. */
bool web_query_int(web_ctx *c, const char *name, long long def, long long min, long long max,
                   long long *out);
/* A time parameter: ISO 8601 UTC ("2026-11-22T01:02:03Z") or ns since the epoch. */
bool web_query_time(web_ctx *c, const char *name, int64_t def, int64_t *out);
/* Wall ns as ISO text into out (32 bytes). */
void web_iso(int64_t wall_ns, char out[32]);
/* A data point as JSON: id, value, unit, quality, time, quantity, record. */
json_t *web_point_json(const dp *p);
/* 30..48 random bytes (OpenSSL's DRBG); false when it has none. */
bool web_random(uint8_t *out, size_t n);
#endif
