/* web_api_wireless: the wireless M-Bus listen list (read from the file the
 * driver keeps, web.listen_list) and the key file: imported as CSV
 * (web.keys_file, replaced whole, mode 0600; the driver reads it at its next
 * start), never returned: GET only tells how many keys it holds. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/text_file.h"
#include "north/web/web_ctx.h"

static char *read_file(const char *path, size_t max) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

void web_api_listen_list(web_ctx *c) {
    const char *path = c->srv->cfg->listen_list;
    char *text = path ? read_file(path, 4 << 20) : NULL;
    if (!text) {
        web_reply_error(c, 404, path ? "the listen list file is not there (yet)"
                                     : "no listen list configured (web.listen_list)");
        return;
    }
    json_t *lines = json_array();
    for (char *save, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        l[strcspn(l, "\r")] = '\0';
        if (l[0])
            json_array_append_new(lines, json_string(l));
    }
    free(text);
    web_reply_json(c, 200, json_pack("{s:s,s:o}", "file", path, "lines", lines));
}

/* Lines holding a key: a first field and a second of 32 hex digits. */
static long count_keys(const char *csv, char *why, size_t cap) {
    long keys = 0, line = 0;
    for (const char *p = csv; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        line++;
        const char *sep = memchr(p, ',', len);
        if (!sep)
            sep = memchr(p, ';', len);
        size_t hex = 0;
        while (sep && sep + 1 + hex < p + len && isxdigit((unsigned char)sep[1 + hex]))
            hex++;
        bool blank = strspn(p, " \t\r") >= len;
        bool header = !blank && strncasecmp(p, "address", 7) == 0;
        if (!blank && !header) {
            if (!sep || hex != 32) {
                snprintf(why, cap, "line %ld: expected address,key (32 hex digits),...", line);
                return -1;
            }
            keys++;
        }
        p = end ? end + 1 : p + len;
    }
    return keys;
}

static void write_text(FILE *f, const void *arg) { fputs(arg, f); }

void web_api_keys_import(web_ctx *c) {
    const char *path = c->srv->cfg->keys_file;
    char why[256];
    if (!path) {
        web_reply_error(c, 404, "no key file configured (web.keys_file)");
        return;
    }
    const char *body = c->req->body ? c->req->body : "";
    if (strlen(body) != c->req->body_len) {
        web_reply_error(c, 400, "the key file holds a NUL byte");
        return;
    }
    long keys = count_keys(body, why, sizeof why);
    if (keys <= 0) {
        web_reply_error(c, 400, keys == 0 ? "the file holds no key" : why);
        return;
    }
    mode_t old = umask(077);
    bool ok = text_file_replace(path, write_text, body, true, why, sizeof why);
    umask(old);
    if (!ok) {
        web_reply_error(c, 500, why);
        return;
    }
    char text[160];
    snprintf(text, sizeof text, "user %s imported %ld keys", c->user->name, keys);
    web_audit(c->srv, "keys_imported", text);
    web_reply_json(c, 200, json_pack("{s:I,s:b}", "keys", (json_int_t)keys, "restart_needed", 1));
}

void web_api_keys_get(web_ctx *c) {
    const char *path = c->srv->cfg->keys_file;
    char *text = path ? read_file(path, 8 << 20) : NULL;
    char why[128];
    long keys = text ? count_keys(text, why, sizeof why) : 0;
    free(text);
    web_reply_json(c, 200, json_pack("{s:s?,s:I}", "file", path, "keys", (json_int_t)(keys > 0 ? keys : 0)));
}
