/* gwconfig: substitution and JSON output of the gateway configuration (see gwconfig.h). */
#include "sim/core/gwconfig.h"
#include "sim/core/port_reserve.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

bool subst_apply(const char *text, const subst_var *vars, size_t n, char *out, size_t cap,
                 char *bad, size_t bad_cap) {
    size_t o = 0;
    if (bad_cap) bad[0] = '\0';
    for (const char *p = text; *p;) {
        const char *value = NULL;
        size_t skip = 1;
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p, '}');
            if (!close) {
                snprintf(bad, bad_cap, "%s", p);
                return false;
            }
            size_t len = (size_t)(close - p - 2);
            for (size_t i = 0; i < n && !value; i++)
                if (strlen(vars[i].name) == len && strncmp(vars[i].name, p + 2, len) == 0)
                    value = vars[i].value;
            if (!value) {
                snprintf(bad, bad_cap, "%.*s", (int)len, p + 2);
                return false;
            }
            skip = len + 3;
        }
        size_t add = value ? strlen(value) : 1;
        if (o + add + 1 > cap) return false;
        memcpy(out + o, value ? value : p, add);
        o += add;
        p += skip;
    }
    out[o] = '\0';
    return true;
}

/* Plain JSON numbers and booleans stay plain; everything else is a string. */
static bool plain_ok(const char *s) {
    if (!strcmp(s, "true") || !strcmp(s, "false")) return true;
    const char *p = s;
    if (*p == '-') p++;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9') return false;
    if (!(*p >= '0' && *p <= '9')) return false;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == '\0';
}

static void write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static bool write_node(FILE *f, const cfg_node *n, const subst_var *vars, size_t nv, int depth,
                       cfg_err *err) {
    if (n->kind == CFG_SCALAR) {
        char text[4096], bad[128];
        if (!subst_apply(n->scalar, vars, nv, text, sizeof text, bad, sizeof bad)) {
            if (bad[0]) return cfg_fail(err, n, "unknown substitution ${%s}", bad);
            return cfg_fail(err, n, "value too long after substitution");
        }
        if (plain_ok(text)) fputs(text, f);
        else write_string(f, text);
        return true;
    }
    bool map = n->kind == CFG_MAP;
    fputc(map ? '{' : '[', f);
    for (size_t i = 0; i < n->n; i++) {
        fprintf(f, "%s\n%*s", i ? "," : "", 2 * (depth + 1), "");
        if (map) {
            write_string(f, n->keys[i]);
            fputs(": ", f);
        }
        if (!write_node(f, n->items[i], vars, nv, depth + 1, err)) return false;
    }
    if (n->n) fprintf(f, "\n%*s", 2 * depth, "");
    fputc(map ? '}' : ']', f);
    return true;
}

bool gwconfig_write_json(FILE *f, const cfg_node *tree, const subst_var *vars, size_t n,
                         cfg_err *err) {
    if (!write_node(f, tree, vars, n, 0, err)) return false;
    fputc('\n', f);
    return true;
}

bool gwconfig_write(const char *path, const cfg_node *tree, const subst_var *vars, size_t n,
                    cfg_err *err) {
    /* Owner-only, as on a device: the configuration may hold keys and passwords, and
     * gwd warns about a key file others can read. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return cfg_fail(err, tree, "cannot write %s", path);
    }
    bool ok = gwconfig_write_json(f, tree, vars, n, err);
    if (fclose(f) != 0 && ok) return cfg_fail(err, tree, "cannot write %s", path);
    return ok;
}

char *gwconfig_get(const cfg_node *tree, const char *section, const char *key,
                   const subst_var *vars, size_t n) {
    const cfg_node *v = cfg_get(cfg_get(tree, section), key);
    if (!v || v->kind != CFG_SCALAR) return NULL;
    char text[4096], bad[128];
    if (!subst_apply(v->scalar, vars, n, text, sizeof text, bad, sizeof bad)) return NULL;
    return strdup(text);
}

int gwconfig_free_port(void) {
    return port_reserve(); /* locked: parallel bench runs never share one */
}

char *gwconfig_report_dir(const cfg_node *tree, const subst_var *vars, size_t n) {
    char *dir = gwconfig_get(tree, "reports", "dir", vars, n);
    const cfg_node *list = cfg_get(cfg_get(tree, "reports"), "instances");
    for (size_t i = 0; !dir && list && list->kind == CFG_SEQ && i < list->n; i++)
        dir = gwconfig_get(cfg_get(list->items[i], "transport"), "file", "dir", vars, n);
    return dir;
}
