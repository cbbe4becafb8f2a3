/* A small JSON reader for the decode tests: the whole document becomes a
 * tree of jv values (objects keep their key order). Enough for annex-n.json
 * and the decoder's own output; not a general-purpose parser. */
#ifndef TEST_DECODE_JSON_H
#define TEST_DECODE_JSON_H
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_type;

typedef struct jv {
    jv_type type;
    double num;
    bool b;
    char *str;
    size_t n;
    struct jv *items; /* array items or object values */
    char **keys;      /* object keys */
} jv;

typedef struct jp {
    const char *s;
    bool bad;
} jp;

static void jv_free(jv *v) {
    for (size_t i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

static void jp_ws(jp *p) {
    while (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t')
        p->s++;
}

static char *jp_string(jp *p) {
    if (*p->s != '"') {
        p->bad = true;
        return NULL;
    }
    p->s++;
    size_t cap = strlen(p->s) + 1, n = 0;
    char *out = malloc(cap);
    while (*p->s && *p->s != '"') {
        char ch = *p->s++;
        if (ch == '\\') {
            char e = *p->s++;
            if (e == 'u') {
                unsigned v = (unsigned)strtoul((char[5]){p->s[0], p->s[1], p->s[2], p->s[3], 0}, NULL, 16);
                p->s += 4;
                ch = (char)v;
            } else {
                ch = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            }
        }
        out[n++] = ch;
    }
    if (*p->s != '"')
        p->bad = true;
    else
        p->s++;
    out[n] = '\0';
    return out;
}

static void jp_value(jp *p, jv *v);

static void jp_add(jv *v, jv *item, char *key) {
    v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
    if (v->type == JV_OBJ) {
        v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
        v->keys[v->n] = key;
    }
    v->items[v->n++] = *item;
}

static void jp_container(jp *p, jv *v, char close) {
    p->s++;
    jp_ws(p);
    if (*p->s == close) {
        p->s++;
        return;
    }
    while (!p->bad) {
        jp_ws(p);
        char *key = NULL;
        if (v->type == JV_OBJ) {
            key = jp_string(p);
            jp_ws(p);
            if (*p->s++ != ':')
                p->bad = true;
        }
        jv item = {0};
        jp_value(p, &item);
        jp_add(v, &item, key);
        jp_ws(p);
        if (*p->s == ',') {
            p->s++;
        } else if (*p->s == close) {
            p->s++;
            return;
        } else {
            p->bad = true;
        }
    }
}

static void jp_value(jp *p, jv *v) {
    memset(v, 0, sizeof *v);
    jp_ws(p);
    char ch = *p->s;
    if (ch == '{') {
        v->type = JV_OBJ;
        jp_container(p, v, '}');
    } else if (ch == '[') {
        v->type = JV_ARR;
        jp_container(p, v, ']');
    } else if (ch == '"') {
        v->type = JV_STR;
        v->str = jp_string(p);
    } else if (strncmp(p->s, "true", 4) == 0 || strncmp(p->s, "false", 5) == 0) {
        v->type = JV_BOOL;
        v->b = ch == 't';
        p->s += v->b ? 4 : 5;
    } else if (strncmp(p->s, "null", 4) == 0) {
        v->type = JV_NULL;
        p->s += 4;
    } else {
        char *end;
        v->type = JV_NUM;
        v->num = strtod(p->s, &end);
        if (end == p->s)
            p->bad = true;
        /* keep the text too: exact comparisons of decimals */
        v->str = strndup(p->s, (size_t)(end - p->s));
        p->s = end;
    }
}

/* Parse text; false when it is not one well-formed JSON value. */
static bool jv_parse(const char *text, jv *out) {
    jp p = {text, false};
    jp_value(&p, out);
    jp_ws(&p);
    return !p.bad && *p.s == '\0';
}

static const jv *jv_get(const jv *o, const char *key) {
    if (!o || o->type != JV_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

static const char *jv_str(const jv *o, const char *key) {
    const jv *v = jv_get(o, key);
    return v && v->type == JV_STR ? v->str : NULL;
}

static char *jv_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}
#endif
