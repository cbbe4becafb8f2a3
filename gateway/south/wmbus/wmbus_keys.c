/* wmbus_keys: the CMe3100 key file (see wmbus_keys.h). */
#include "south/wmbus/wmbus_keys.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/wmbus/wmbus_build.h"

#define N_COLUMNS 5
static const char *const column_names[N_COLUMNS] = {"address", "key", "manufacturer", "devicetype",
                                                    "version"};

typedef struct field {
    char text[80];
    int col; /* 1-based column of its first character */
} field;

static bool fail(char *err, size_t cap, const char *name, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static bool fail(char *err, size_t cap, const char *name, int line, int col, const char *fmt, ...) {
    int n = snprintf(err, cap, "%s:%d:%d: ", name, line, col);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < cap)
        vsnprintf(err + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

/* Split one line at ',' or ';' into trimmed fields. Returns the count. */
static int split(const char *line, size_t len, field *f, int max) {
    int n = 0;
    size_t i = 0;
    while (n < max) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        size_t start = i;
        while (i < len && line[i] != ',' && line[i] != ';')
            i++;
        size_t end = i;
        while (end > start && isspace((unsigned char)line[end - 1]))
            end--;
        size_t w = end - start < sizeof f[n].text - 1 ? end - start : sizeof f[n].text - 1;
        memcpy(f[n].text, line + start, w);
        f[n].text[w] = '\0';
        f[n].col = (int)start + 1;
        n++;
        if (i >= len)
            break;
        i++; /* the separator */
    }
    return n;
}

static bool is_header(const field *f, int n) {
    if (n != N_COLUMNS)
        return false;
    for (int i = 0; i < N_COLUMNS; i++)
        if (strcasecmp(f[i].text, column_names[i]) != 0)
            return false;
    return true;
}

/* -1 or a number 0..max (decimal or 0x hex). */
static bool number_or_any(const char *t, int max, int *out) {
    if (strcmp(t, "-1") == 0) {
        *out = -1;
        return true;
    }
    char *end;
    long v = strtol(t, &end, 0);
    if (!*t || *end || v < 0 || v > max)
        return false;
    *out = (int)v;
    return true;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_row(const field *f, wmbus_key_entry *e, const char *name, int line, char *err,
                      size_t cap) {
    const char *addr = f[0].text, *key = f[1].text, *man = f[2].text;
    e->any_id = strcmp(addr, "-1") == 0;
    if (!e->any_id) {
        if (strlen(addr) != 8 || strspn(addr, "0123456789") != 8)
            return fail(err, cap, name, line, f[0].col,
                        "address must be an 8-digit meter id or -1, not \"%s\"", addr);
        e->id_bcd = (uint32_t)strtoul(addr, NULL, 16); /* the digits are the BCD nibbles */
    }
    size_t klen = strlen(key);
    if (klen != 32)
        return fail(err, cap, name, line, f[1].col,
                    "key must be 32 hex characters (AES-128), this one has %zu", klen);
    for (size_t i = 0; i < 32; i++) {
        int v = hex_value(key[i]);
        if (v < 0)
            return fail(err, cap, name, line, f[1].col + (int)i, "key: '%c' is not a hex digit",
                        key[i]);
        e->key[i / 2] = (uint8_t)(i % 2 ? e->key[i / 2] | v : v << 4);
    }
    e->any_man = strcmp(man, "*") == 0;
    if (!e->any_man && !(e->manufacturer = wmbus_manufacturer_code(man)))
        return fail(err, cap, name, line, f[2].col,
                    "manufacturer must be three capital letters or *, not \"%s\"", man);
    if (!number_or_any(f[3].text, 255, &e->device_type))
        return fail(err, cap, name, line, f[3].col, "deviceType must be 0..255 or -1, not \"%s\"",
                    f[3].text);
    if (!number_or_any(f[4].text, 255, &e->version))
        return fail(err, cap, name, line, f[4].col, "version must be 0..255 or -1, not \"%s\"",
                    f[4].text);
    e->line = line;
    e->score = (e->any_id ? 0 : 8) + (e->any_man ? 0 : 4) + (e->device_type < 0 ? 0 : 2) +
               (e->version < 0 ? 0 : 1);
    return true;
}

static bool add(wmbus_keys *k, const wmbus_key_entry *e) {
    wmbus_key_entry *grown = realloc(k->entries, (k->n + 1) * sizeof *grown);
    if (!grown)
        return false;
    k->entries = grown;
    k->entries[k->n++] = *e;
    return true;
}

static bool parse_line(wmbus_keys *k, const char *line, size_t len, const char *name, int lineno,
                       bool *header_seen, char *err, size_t cap) {
    size_t skip = strspn(line, " \t\r");
    if (skip >= len || line[skip] == '#')
        return true;
    field f[N_COLUMNS + 1];
    int n = split(line, len, f, N_COLUMNS + 1);
    if (!*header_seen && is_header(f, n)) {
        *header_seen = true;
        return true;
    }
    *header_seen = true; /* a header is only allowed first */
    if (n != N_COLUMNS)
        return fail(err, cap, name, lineno, n > N_COLUMNS ? f[N_COLUMNS].col : 1,
                    "expected 5 columns (address, key, manufacturer, deviceType, version), found %s%d",
                    n > N_COLUMNS ? "more than " : "", n > N_COLUMNS ? N_COLUMNS : n);
    wmbus_key_entry e;
    memset(&e, 0, sizeof e);
    if (!parse_row(f, &e, name, lineno, err, cap))
        return false;
    return add(k, &e) || fail(err, cap, name, lineno, 1, "out of memory");
}

bool wmbus_keys_parse(const char *text, const char *name, wmbus_keys *out, char *err, size_t cap) {
    wmbus_keys k = {0};
    bool header_seen = false;
    int lineno = 1;
    for (const char *p = text; *p; lineno++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        if (!parse_line(&k, p, len, name, lineno, &header_seen, err, cap)) {
            wmbus_keys_free(&k);
            return false;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    *out = k;
    return true;
}

bool wmbus_keys_load(const char *path, wmbus_keys *out, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, cap, path, 1, 1, "cannot read the key file");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    size_t got = text ? fread(text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!text)
        return fail(err, cap, path, 1, 1, "cannot read the key file");
    text[got] = '\0';
    bool ok = wmbus_keys_parse(text, path, out, err, cap);
    free(text);
    return ok;
}

void wmbus_keys_free(wmbus_keys *k) {
    free(k->entries);
    k->entries = NULL;
    k->n = 0;
}

static bool matches(const wmbus_key_entry *e, uint32_t id, uint16_t man, uint8_t ver, uint8_t type) {
    return (e->any_id || e->id_bcd == id) && (e->any_man || e->manufacturer == man) &&
           (e->device_type < 0 || e->device_type == type) && (e->version < 0 || e->version == ver);
}

size_t wmbus_keys_match(const wmbus_keys *k, uint32_t id_bcd, uint16_t manufacturer,
                        uint8_t version, uint8_t device_type, const uint8_t **out, size_t max) {
    size_t n = 0;
    /* highest score first; file order within a score (scores are 0..15) */
    for (int score = 15; score >= 0 && n < max; score--)
        for (size_t i = 0; i < k->n && n < max; i++)
            if (k->entries[i].score == score &&
                matches(&k->entries[i], id_bcd, manufacturer, version, device_type))
                out[n++] = k->entries[i].key;
    return n;
}
