/* web_response: an HTTP response to bytes (web_http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "north/web/web_http.h"

void web_response_init(web_response *res) {
    memset(res, 0, sizeof *res);
    res->status = 200;
}

void web_response_free(web_response *res) {
    free(res->headers);
    free(res->body);
    memset(res, 0, sizeof *res);
}

void web_response_header(web_response *res, const char *name, const char *value) {
    size_t add = strlen(name) + strlen(value) + 4;
    char *h = realloc(res->headers, res->headers_len + add + 1);
    if (!h)
        return;
    res->headers = h;
    res->headers_len += (size_t)snprintf(h + res->headers_len, add + 1, "%s: %s\r\n", name, value);
}

void web_response_take(web_response *res, int status, const char *type, char *data, size_t len) {
    free(res->body);
    res->status = status;
    res->content_type = type;
    res->body = data;
    res->body_len = data ? len : 0;
}

void web_response_body(web_response *res, int status, const char *type, const char *data, size_t len) {
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, data, len);
        copy[len] = '\0';
    }
    web_response_take(res, status, type, copy, len);
}

void web_response_error(web_response *res, int status, const char *text) {
    json_t *o = json_pack("{s:s}", "error", text ? text : web_status_text(status));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    web_response_take(res, status, "application/json", s, s ? strlen(s) : 0);
}

const char *web_status_text(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

char *web_response_serialize(const web_response *res, size_t *len) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s%s"
                     "Cache-Control: %s\r\nX-Content-Type-Options: nosniff\r\n"
                     "Strict-Transport-Security: max-age=31536000\r\n%s",
                     res->status, web_status_text(res->status), res->body_len,
                     res->content_type ? "Content-Type: " : "",
                     res->content_type ? res->content_type : "", res->content_type ? "\r\n" : "",
                     res->cache_control ? res->cache_control : "no-store",
                     res->close ? "Connection: close\r\n" : "");
    size_t total = (size_t)n + res->headers_len + 2 + res->body_len;
    char *out = malloc(total + 1);
    if (!out)
        return NULL;
    memcpy(out, head, (size_t)n);
    if (res->headers_len)
        memcpy(out + n, res->headers, res->headers_len);
    memcpy(out + n + res->headers_len, "\r\n", 2);
    if (res->body_len)
        memcpy(out + n + res->headers_len + 2, res->body, res->body_len);
    *len = total;
    return out;
}
