/* hexfile: hex text telegram files (see hexfile.h). */
#include "sim/core/hexfile.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

long hex_parse(const char *text, uint8_t *out, size_t cap) {
    size_t n = 0;
    const char *p = text;
    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        int hi = hex_digit(*p), lo = hi < 0 ? -1 : hex_digit(p[1]);
        if (hi < 0 || lo < 0 || n >= cap) return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return (long)n;
}

char *hex_format(const uint8_t *bytes, size_t len, char *out, size_t cap) {
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    if (cap == 0) return out;
    for (size_t i = 0; i < len; i++) {
        size_t need = (i ? 1 : 0) + 2;
        if (o + need + 1 > cap) break;
        if (i) out[o++] = ' ';
        out[o++] = digits[bytes[i] >> 4];
        out[o++] = digits[bytes[i] & 15];
    }
    out[o] = '\0';
    return out;
}

int telegram_list_add(telegram_list *list, const uint8_t *bytes, size_t len) {
    hex_frame *items = realloc(list->items, (list->n + 1) * sizeof *items);
    if (!items) return -1;
    list->items = items;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return -1;
    memcpy(copy, bytes, len);
    list->items[list->n].bytes = copy;
    list->items[list->n].len = len;
    list->n++;
    return 0;
}

void telegram_list_free(telegram_list *list) {
    for (size_t i = 0; i < list->n; i++) free(list->items[i].bytes);
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

/* One line: hex pairs up to an optional `#` comment. */
static int parse_line(const char *line, size_t len, const char *name, int lineno,
                      telegram_list *list, char *err, size_t errlen) {
    uint8_t buf[1024];
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)line[i];
        if (c == '#') break;
        if (isspace(c)) {
            i++;
            continue;
        }
        int hi = hex_digit(c), lo = i + 1 < len ? hex_digit(line[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            snprintf(err, errlen, "%s:%d:%zu: expected a pair of hex digits", name, lineno,
                     i + 1);
            return -1;
        }
        if (n >= sizeof buf) {
            snprintf(err, errlen, "%s:%d:%zu: telegram longer than %zu bytes", name, lineno,
                     i + 1, sizeof buf);
            return -1;
        }
        buf[n++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (n && telegram_list_add(list, buf, n) < 0) {
        snprintf(err, errlen, "%s:%d:1: out of memory", name, lineno);
        return -1;
    }
    return 0;
}

int hexfile_parse(const char *text, const char *name, telegram_list *list, char *err,
                  size_t errlen) {
    int lineno = 1;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (parse_line(p, len, name, lineno, list, err, errlen) < 0) return -1;
        if (!eol) break;
        p = eol + 1;
        lineno++;
    }
    return 0;
}

int hexfile_load(const char *path, telegram_list *list, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s:1:1: cannot open telegram file", path);
        return -1;
    }
    char *text = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *t = realloc(text, cap);
            if (!t) break;
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    if (!text) {
        snprintf(err, errlen, "%s:1:1: out of memory", path);
        return -1;
    }
    text[len] = '\0';
    size_t before = list->n;
    int rc = hexfile_parse(text, path, list, err, errlen);
    free(text);
    if (rc == 0 && list->n == before) {
        snprintf(err, errlen, "%s:1:1: no telegram in file", path);
        return -1;
    }
    return rc;
}
