/* web_http: one HTTP/1.1 request parsed from bytes (Debian's libhttp-parser)
 * within limits, and one response serialized to bytes. Pure: no I/O, no clock,
 * so the fuzz target (gateway/tests/fuzz_web.c) drives it directly.
 *
 * A request is fed in pieces as they arrive; after the message completes the
 * parser stops, so bytes of a pipelined next request stay with the caller. */
#ifndef GW_WEB_HTTP_H
#define GW_WEB_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <http_parser.h>

#define WEB_PATH_MAX 1024

typedef struct web_limits {
    size_t max_request; /* bytes of head + body */
    size_t max_headers; /* header lines */
} web_limits;

typedef struct web_header {
    char *name, *value;
} web_header;

typedef enum { WEB_REQ_MORE, WEB_REQ_DONE, WEB_REQ_ERROR } web_req_state;

typedef struct web_request {
    http_parser parser;
    web_limits limits;
    web_req_state state;
    int error_status;       /* WEB_REQ_ERROR: 400, 405, 413, 414, 431, 505 */
    const char *error_text; /* what was wrong, for the answer */
    char method[12];
    char *url;              /* as received */
    char path[WEB_PATH_MAX]; /* decoded path, without the query */
    char *query;            /* raw query ("" when none) */
    web_header *headers;
    size_t n_headers;
    bool in_value; /* the last header callback was a value */
    char *body;
    size_t body_len;
    size_t total; /* bytes taken so far */
    bool keep_alive;
    bool started; /* the first byte arrived */
} web_request;

void web_request_init(web_request *r, const web_limits *limits);
void web_request_reset(web_request *r); /* free, then init with the same limits */
void web_request_free(web_request *r);
/* Take up to len bytes; returns how many were taken (the rest belongs to the
 * next request) and sets r->state. */
size_t web_request_feed(web_request *r, const char *data, size_t len);
/* Case-insensitive header lookup; NULL when absent. */
const char *web_request_header(const web_request *r, const char *name);
/* One query parameter, decoded into out (cap bytes); false when absent. */
bool web_query_param(const char *query, const char *name, char *out, size_t cap);
/* Decode %XX and '+' (in queries) into out; false on a bad escape or overflow. */
bool web_url_decode(const char *in, size_t len, bool plus_is_space, char *out, size_t cap);
/* One cookie's value from a Cookie header into out; false when absent. */
bool web_cookie_get(const char *cookie_header, const char *name, char *out, size_t cap);

/* A response: status, content type, extra header lines, body. */
typedef struct web_response {
    int status;
    const char *content_type;
    char *headers; /* "Name: value\r\n" lines (allocated) */
    size_t headers_len;
    char *body;
    size_t body_len;
    bool close; /* close the connection after it */
    const char *cache_control; /* NULL: no-store (every API answer); the UI's files set it */
} web_response;

void web_response_init(web_response *res);
void web_response_free(web_response *res);
/* Add a header line (copied). */
void web_response_header(web_response *res, const char *name, const char *value);
/* Replace the body with a copy of data (or take ownership with web_response_take). */
void web_response_body(web_response *res, int status, const char *type, const char *data, size_t len);
void web_response_take(web_response *res, int status, const char *type, char *data, size_t len);
/* {"error": text} with status. */
void web_response_error(web_response *res, int status, const char *text);
const char *web_status_text(int status);
/* The whole response as bytes (allocated, *len set); NULL on out of memory. */
char *web_response_serialize(const web_response *res, size_t *len);
#endif
