/* web_static: the UI's files from a folder (web_static.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "north/web/web_static.h"

/* The largest file served: the UI's files and Chart.js are a few hundred KiB. */
#define WEB_STATIC_MAX (8u << 20)

static bool segment_ok(const char *s, size_t n) {
    if (n == 0 || s[0] == '.') /* "", ".", "..", and hidden files such as .git */
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\\' || (unsigned char)s[i] < 0x20)
            return false;
    return true;
}

bool web_static_relpath(const char *url_path, char *out, size_t cap) {
    if (url_path[0] != '/')
        return false;
    const char *rel = url_path + 1;
    if (*rel == '\0')
        rel = "index.html";
    for (const char *s = rel; *s;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        if (!segment_ok(s, n))
            return false;
        s += n + (slash != NULL);
        if (slash && *s == '\0')
            return false; /* a trailing slash names a folder */
    }
    return (size_t)snprintf(out, cap, "%s", rel) < cap;
}

bool web_static_locate(const char *root, const char *rel, char *out, size_t cap) {
    char base[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX];
    struct stat st;
    if (!realpath(root, base))
        return false;
    snprintf(joined, sizeof joined, "%s/%s", base, rel);
    if (!realpath(joined, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    size_t n = strlen(base);
    bool inside = strncmp(real, base, n) == 0 && (real[n] == '/' || strcmp(base, "/") == 0);
    return inside && (size_t)snprintf(out, cap, "%s", real) < cap;
}

const char *web_static_type(const char *name) {
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"},     {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},       {".json", "application/json"},
        {".svg", "image/svg+xml"},                 {".png", "image/png"},
        {".ico", "image/x-icon"},                  {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

bool web_static_default_root(char *out, size_t cap) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return (size_t)snprintf(out, cap, "%s/../share/gwd/ui", exe) < cap;
}

/* The whole file (NULL when it cannot be read or is too large). */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size <= WEB_STATIC_MAX &&
        (buf = malloc((size_t)st.st_size + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)st.st_size, f);
        if (*len != (size_t)st.st_size) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* The UI's own files revalidate at every load (an upgraded gwd serves a new UI at
 * once, a 304 costs no body); the vendored libraries change only with the package. */
static const char *cache_policy(const char *rel) {
    return strncmp(rel, "vendor/", 7) == 0 ? "max-age=86400" : "no-cache";
}

/* Headers every UI file gets: no foreign script, style, frame or connection. */
static void security_headers(web_response *res) {
    web_response_header(res, "Content-Security-Policy",
                        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                        "base-uri 'none'; form-action 'self'");
    web_response_header(res, "X-Frame-Options", "DENY");
    web_response_header(res, "Referrer-Policy", "no-referrer");
}

void web_static_serve(const char *root, const web_request *req, web_response *res) {
    char rel[WEB_PATH_MAX], path[PATH_MAX];
    struct stat st;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        web_response_header(res, "Allow", "GET, HEAD");
        web_response_error(res, 405, "the UI's files are only read (GET, HEAD)");
        return;
    }
    if (!web_static_relpath(req->path, rel, sizeof rel)) {
        web_response_error(res, 400, "not a path of the UI");
        return;
    }
    if (!root || !web_static_locate(root, rel, path, sizeof path) || stat(path, &st) != 0) {
        web_response_error(res, 404, "no such file");
        return;
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
    res->cache_control = cache_policy(rel);
    web_response_header(res, "ETag", etag);
    security_headers(res);
    const char *match = web_request_header(req, "If-None-Match");
    if (match && strcmp(match, etag) == 0) {
        web_response_take(res, 304, NULL, NULL, 0);
        return;
    }
    size_t len = 0;
    char *body = read_file(path, &len);
    if (!body) {
        res->cache_control = NULL;
        web_response_error(res, 500, "the file could not be read");
        return;
    }
    web_response_take(res, 200, web_static_type(rel), body, len);
}
