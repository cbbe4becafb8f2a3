/* test_web_static: the UI's files (north/web/web_static.c): which URL paths
 * name a file, that a file must resolve inside the folder (no "..", no
 * symlink out of it), content types, ETag/304, HEAD and refused methods. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "north/web/web_static.h"
#include "tests/test.h"

static char dir[256], ui[300], outside[300];

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void make_tree(void) {
    char p[400];
    snprintf(dir, sizeof dir, "/tmp/test_web_static.XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ui, sizeof ui, "%s/ui", dir);
    snprintf(outside, sizeof outside, "%s/secret.txt", dir);
    mkdir(ui, 0755);
    snprintf(p, sizeof p, "%s/vendor", ui);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/index.html", ui);
    put(p, "<!doctype html><title>gwd</title>");
    snprintf(p, sizeof p, "%s/app.js", ui);
    put(p, "let x = 1;\n");
    snprintf(p, sizeof p, "%s/vendor/chart.js", ui);
    put(p, "/* chart */\n");
    snprintf(p, sizeof p, "%s/.hidden", ui);
    put(p, "no");
    put(outside, "the store's password");
    snprintf(p, sizeof p, "%s/escape.txt", ui); /* a symlink out of the folder */
    CHECK(symlink(outside, p) == 0);
    snprintf(p, sizeof p, "%s/up", ui); /* a folder symlink out of it */
    CHECK(symlink(dir, p) == 0);
    snprintf(p, sizeof p, "%s/alias.js", ui); /* a symlink that stays inside */
    CHECK(symlink("app.js", p) == 0);
}

static void test_relpath(void) {
    char rel[256];
    CHECK(web_static_relpath("/", rel, sizeof rel) && strcmp(rel, "index.html") == 0);
    CHECK(web_static_relpath("/app.js", rel, sizeof rel) && strcmp(rel, "app.js") == 0);
    CHECK(web_static_relpath("/vendor/chart.js", rel, sizeof rel) && strcmp(rel, "vendor/chart.js") == 0);
    static const char *const bad[] = {"", "app.js", "/..", "/../secret.txt", "/vendor/../../x",
                                      "/./app.js", "//etc/passwd", "/vendor//chart.js", "/vendor/",
                                      "/.hidden", "/.git/config", "/a\\..\\b", "/a\tb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!web_static_relpath(bad[i], rel, sizeof rel), "%s accepted", bad[i]);
    CHECK(!web_static_relpath("/app.js", rel, 4)); /* does not fit */
}

static void test_locate(void) {
    char path[512], want[512];
    CHECK(web_static_locate(ui, "app.js", path, sizeof path));
    CHECK(realpath(ui, want) != NULL);
    CHECK(strncmp(path, want, strlen(want)) == 0);
    CHECK(web_static_locate(ui, "alias.js", path, sizeof path)); /* resolves to app.js, inside */
    CHECK(strstr(path, "/app.js") != NULL);
    CHECK(!web_static_locate(ui, "escape.txt", path, sizeof path)); /* symlink leaves the folder */
    CHECK(!web_static_locate(ui, "up/secret.txt", path, sizeof path));
    CHECK(!web_static_locate(ui, "vendor", path, sizeof path)); /* a folder, not a file */
    CHECK(!web_static_locate(ui, "nosuch.js", path, sizeof path));
    CHECK(!web_static_locate("/nonexistent-ui-dir", "app.js", path, sizeof path));
}

static void test_types(void) {
    CHECK_STR(web_static_type("index.html"), "text/html; charset=utf-8");
    CHECK_STR(web_static_type("vendor/chart.js"), "text/javascript; charset=utf-8");
    CHECK_STR(web_static_type("style.css"), "text/css; charset=utf-8");
    CHECK_STR(web_static_type("web-dashboard.png"), "image/png");
    CHECK_STR(web_static_type("Makefile"), "application/octet-stream");
}

static void request(web_request *r, const char *method, const char *path, const char *etag) {
    static const web_limits lim = {.max_request = 4096, .max_headers = 8};
    char text[512];
    snprintf(text, sizeof text, "%s %s HTTP/1.1\r\nHost: x\r\n%s%s%s\r\n", method, path,
             etag ? "If-None-Match: " : "", etag ? etag : "", etag ? "\r\n" : "");
    web_request_init(r, &lim);
    web_request_feed(r, text, strlen(text));
    CHECK_INT(r->state, WEB_REQ_DONE);
}

/* The value of header name in res's extra header lines, into out. */
static bool header(const web_response *res, const char *name, char *out, size_t cap) {
    size_t n = strlen(name);
    for (const char *l = res->headers; l && *l;) {
        const char *end = strstr(l, "\r\n");
        if (strncmp(l, name, n) == 0 && l[n] == ':') {
            snprintf(out, cap, "%.*s", (int)(end - l - n - 2), l + n + 2);
            return true;
        }
        l = end ? end + 2 : NULL;
    }
    return false;
}

static int serve(const char *method, const char *path, const char *etag, web_response *res) {
    web_request r;
    request(&r, method, path, etag);
    web_response_init(res);
    web_static_serve(ui, &r, res);
    web_request_free(&r);
    return res->status;
}

static void test_serve(void) {
    web_response res;
    char etag[64] = "", csp[256];
    CHECK_INT(serve("GET", "/", NULL, &res), 200);
    CHECK_STR(res.content_type, "text/html; charset=utf-8");
    CHECK(res.body_len == strlen("<!doctype html><title>gwd</title>") &&
          memcmp(res.body, "<!doctype html>", 15) == 0);
    CHECK_STR(res.cache_control, "no-cache");
    CHECK(header(&res, "ETag", etag, sizeof etag) && etag[0] == '"');
    CHECK(header(&res, "Content-Security-Policy", csp, sizeof csp) && strstr(csp, "default-src 'self'"));
    size_t len;
    char *bytes = web_response_serialize(&res, &len);
    /* the serialized bytes are not NUL-terminated: searched within len */
    CHECK(bytes && memmem(bytes, len, "Cache-Control: no-cache\r\n", 25) && !memmem(bytes, len, "no-store", 8));
    free(bytes);
    web_response_free(&res);
    CHECK_INT(serve("GET", "/", etag, &res), 304); /* unchanged: no body */
    CHECK(res.body_len == 0);
    web_response_free(&res);
    CHECK_INT(serve("GET", "/", "\"other\"", &res), 200);
    web_response_free(&res);
    CHECK_INT(serve("GET", "/vendor/chart.js", NULL, &res), 200);
    CHECK_STR(res.cache_control, "max-age=86400");
    web_response_free(&res);
    CHECK_INT(serve("HEAD", "/app.js", NULL, &res), 200);
    CHECK_STR(res.content_type, "text/javascript; charset=utf-8");
    web_response_free(&res);
    CHECK_INT(serve("GET", "/escape.txt", NULL, &res), 404);
    CHECK(!res.body || !strstr(res.body, "password"));
    CHECK(res.cache_control == NULL); /* an error stays no-store */
    web_response_free(&res);
    CHECK_INT(serve("GET", "/nosuch.html", NULL, &res), 404);
    web_response_free(&res);
    CHECK_INT(serve("GET", "/.hidden", NULL, &res), 400);
    web_response_free(&res);
    CHECK_INT(serve("POST", "/index.html", NULL, &res), 405);
    char allow[32];
    CHECK(header(&res, "Allow", allow, sizeof allow) && strcmp(allow, "GET, HEAD") == 0);
    web_response_free(&res);
}

static void test_default_root(void) {
    char root[512], exe[512];
    CHECK(web_static_default_root(root, sizeof root));
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n > 0 ? n : 0] = '\0';
    *strrchr(exe, '/') = '\0'; /* build/host/tests */
    char want[600];
    snprintf(want, sizeof want, "%s/../share/gwd/ui", exe);
    CHECK_STR(root, want);
}

static void cleanup(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    make_tree();
    test_relpath();
    test_locate();
    test_types();
    test_serve();
    test_default_root();
    cleanup();
    return test_summary("test_web_static");
}
