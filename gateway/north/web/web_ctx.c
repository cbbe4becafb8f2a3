/* web_ctx: the helpers every handler shares (web_ctx.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/rand.h>
#include "core/clock.h"
#include "north/web/web_ctx.h"

void web_reply_json(web_ctx *c, int status, json_t *value) {
    char *s = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(value);
    if (!s) {
        web_response_error(c->res, 500, "out of memory");
        return;
    }
    web_response_take(c->res, status, "application/json", s, strlen(s));
}

void web_reply_error(web_ctx *c, int status, const char *text) { web_response_error(c->res, status, text); }

json_t *web_body_object(web_ctx *c) {
    const char *type = web_request_header(c->req, "Content-Type");
    if (!type || strncasecmp(type, "application/json", 16) != 0) {
        web_reply_error(c, 415, "the body must be application/json");
        return NULL;
    }
    json_error_t je;
    json_t *o = json_loadb(c->req->body ? c->req->body : "", c->req->body_len, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        web_reply_error(c, 400, "the body is not a JSON object");
        return NULL;
    }
    return o;
}

bool web_query_int(web_ctx *c, const char *name, long long def, long long min, long long max,
                   long long *out) {
    char text[32], *end;
    *out = def;
    if (!web_query_param(c->req->query, name, text, sizeof text))
        return true;
    long long v = strtoll(text, &end, 10);
    if (!text[0] || *end || v < min || v > max) {
        char why[128];
        snprintf(why, sizeof why, "%s must be a number from %lld to %lld", name, min, max);
        web_reply_error(c, 400, why);
        return false;
    }
    *out = v;
    return true;
}

bool web_query_time(web_ctx *c, const char *name, int64_t def, int64_t *out) {
    char text[48], *end;
    *out = def;
    if (!web_query_param(c->req->query, name, text, sizeof text))
        return true;
    struct tm tm = {0};
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    time_t secs = rest ? timegm(&tm) : -1;
    /* up to 2262, where nanoseconds since 1970 end in 64 bits */
    if (rest && (!*rest || (*rest == 'Z' && !rest[1])) && secs >= 0 && secs < INT64_MAX / NS_PER_S) {
        *out = (int64_t)secs * NS_PER_S;
        return true;
    }
    long long v = strtoll(text, &end, 10);
    if (text[0] && !*end && v >= 0) {
        *out = v;
        return true;
    }
    char why[128];
    snprintf(why, sizeof why, "%s must be an ISO 8601 UTC time or nanoseconds", name);
    web_reply_error(c, 400, why);
    return false;
}

void web_iso(int64_t wall_ns, char out[32]) {
    if (wall_ns <= 0)
        out[0] = '\0';
    else
        clock_format_iso(wall_ns, out, 32);
}

bool web_random(uint8_t *out, size_t n) { return RAND_bytes(out, (int)n) == 1; }
