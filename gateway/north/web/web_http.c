/* web_http: an HTTP request from bytes, within limits (web_http.h). */
#include "north/web/web_http.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static web_request *req_of(http_parser *p) { return p->data; }

static int fail(web_request *r, int status, const char *text) {
    if (r->state != WEB_REQ_ERROR) {
        r->state = WEB_REQ_ERROR;
        r->error_status = status;
        r->error_text = text;
    }
    return 1; /* stops the parser */
}

/* Append len bytes to a growing NUL-terminated string. */
static bool append(char **s, size_t *n, const char *at, size_t len) {
    char *grown = realloc(*s, *n + len + 1);
    if (!grown)
        return false;
    memcpy(grown + *n, at, len);
    *n += len;
    grown[*n] = '\0';
    *s = grown;
    return true;
}

static int on_begin(http_parser *p) {
    req_of(p)->started = true;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
    web_request *r = req_of(p);
    size_t n = r->url ? strlen(r->url) : 0;
    if (n + len >= WEB_PATH_MAX * 2)
        return fail(r, 414, "the URL is too long");
    return append(&r->url, &n, at, len) ? 0 : fail(r, 500, "out of memory");
}

static int on_field(http_parser *p, const char *at, size_t len) {
    web_request *r = req_of(p);
    if (r->in_value || r->n_headers == 0) {
        if (r->n_headers >= r->limits.max_headers)
            return fail(r, 431, "too many header lines");
        web_header *h = realloc(r->headers, (r->n_headers + 1) * sizeof *h);
        if (!h)
            return fail(r, 500, "out of memory");
        r->headers = h;
        r->headers[r->n_headers++] = (web_header){0};
        r->in_value = false;
    }
    web_header *h = &r->headers[r->n_headers - 1];
    size_t n = h->name ? strlen(h->name) : 0;
    return append(&h->name, &n, at, len) ? 0 : fail(r, 500, "out of memory");
}

static int on_value(http_parser *p, const char *at, size_t len) {
    web_request *r = req_of(p);
    if (r->n_headers == 0)
        return fail(r, 400, "a header value without a name");
    web_header *h = &r->headers[r->n_headers - 1];
    size_t n = h->value ? strlen(h->value) : 0;
    r->in_value = true;
    return append(&h->value, &n, at, len) ? 0 : fail(r, 500, "out of memory");
}

/* The URL split into a decoded path and the raw query. */
static int split_url(web_request *r) {
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (!r->url || http_parser_parse_url(r->url, strlen(r->url), r->parser.method == HTTP_CONNECT, &u))
        return fail(r, 400, "malformed URL");
    if (!(u.field_set & (1 << UF_PATH)))
        return fail(r, 400, "the URL has no path");
    const char *path = r->url + u.field_data[UF_PATH].off;
    if (!web_url_decode(path, u.field_data[UF_PATH].len, false, r->path, sizeof r->path))
        return fail(r, 400, "malformed path");
    if (r->path[0] != '/' || strstr(r->path, "/../"))
        return fail(r, 400, "malformed path");
    size_t qlen = (u.field_set & (1 << UF_QUERY)) ? u.field_data[UF_QUERY].len : 0;
    r->query = malloc(qlen + 1);
    if (!r->query)
        return fail(r, 500, "out of memory");
    memcpy(r->query, qlen ? r->url + u.field_data[UF_QUERY].off : "", qlen);
    r->query[qlen] = '\0';
    return 0;
}

static int on_headers_complete(http_parser *p) {
    web_request *r = req_of(p);
    if (p->http_major != 1)
        return fail(r, 505, "only HTTP/1.x is served");
    snprintf(r->method, sizeof r->method, "%s", http_method_str((enum http_method)p->method));
    if (p->content_length != ULLONG_MAX && p->content_length > r->limits.max_request)
        return fail(r, 413, "the request is too large");
    r->keep_alive = http_should_keep_alive(p);
    return split_url(r);
}

static int on_body(http_parser *p, const char *at, size_t len) {
    web_request *r = req_of(p);
    if (r->body_len + len > r->limits.max_request)
        return fail(r, 413, "the request is too large");
    return append(&r->body, &r->body_len, at, len) ? 0 : fail(r, 500, "out of memory");
}

static int on_complete(http_parser *p) {
    web_request *r = req_of(p);
    if (r->state == WEB_REQ_MORE)
        r->state = WEB_REQ_DONE;
    http_parser_pause(p, 1); /* a pipelined request waits for this one's answer */
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_begin,
    .on_url = on_url,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_complete,
};

void web_request_init(web_request *r, const web_limits *limits) {
    memset(r, 0, sizeof *r);
    r->limits = *limits;
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

void web_request_free(web_request *r) {
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->url);
    free(r->query);
    free(r->body);
    r->headers = NULL;
    r->url = r->query = r->body = NULL;
    r->n_headers = 0;
}

void web_request_reset(web_request *r) {
    web_limits l = r->limits;
    web_request_free(r);
    web_request_init(r, &l);
}

size_t web_request_feed(web_request *r, const char *data, size_t len) {
    if (r->state != WEB_REQ_MORE)
        return 0;
    size_t room = r->limits.max_request - r->total;
    size_t take = len < room ? len : room;
    size_t n = http_parser_execute(&r->parser, &settings, data, take);
    r->total += n;
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (r->state == WEB_REQ_MORE && e != HPE_OK && e != HPE_PAUSED) {
        fail(r, e == HPE_HEADER_OVERFLOW ? 431 : e == HPE_INVALID_METHOD ? 405 : 400,
             http_errno_description(e));
    } else if (r->state == WEB_REQ_MORE && take < len && n == take) {
        fail(r, 413, "the request is too large");
    }
    return n;
}

const char *web_request_header(const web_request *r, const char *name) {
    for (size_t i = 0; i < r->n_headers; i++)
        if (r->headers[i].name && strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value ? r->headers[i].value : "";
    return NULL;
}
