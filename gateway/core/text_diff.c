/* text_diff: unified diff by the longest common subsequence of lines (text_diff.h). */
#include "core/text_diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this many table cells the diff is "all removed, all added". */
#define LCS_CELLS_MAX (16u * 1024u * 1024u)

typedef struct lines {
    const char **start;
    size_t *len;
    size_t n;
} lines;

/* Split at '\n' (a last line without one still counts). */
static bool split(const char *text, lines *out) {
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n' || !p[1];
    out->start = calloc(n ? n : 1, sizeof *out->start);
    out->len = calloc(n ? n : 1, sizeof *out->len);
    out->n = 0;
    if (!out->start || !out->len)
        return false;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        out->start[out->n] = p;
        out->len[out->n++] = len;
        p += len + (nl != NULL);
    }
    return true;
}

static bool same(const lines *a, size_t i, const lines *b, size_t j) {
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

/* ops[k]: ' ' kept, '-' removed from a, '+' added from b, in output order. */
typedef struct edit {
    char op;
    size_t a, b; /* line index in a (for ' ' and '-') and in b (for ' ' and '+') */
} edit;

/* The edit script from the LCS table of suffixes (lcs[i][j] = LCS of a[i..], b[j..]). */
static size_t script(const lines *a, const lines *b, edit *out) {
    size_t n = a->n, m = b->n, k = 0;
    if ((uint64_t)(n + 1) * (m + 1) > LCS_CELLS_MAX) {
        for (size_t i = 0; i < n; i++)
            out[k++] = (edit){'-', i, 0};
        for (size_t j = 0; j < m; j++)
            out[k++] = (edit){'+', n, j};
        return k;
    }
    uint32_t *lcs = calloc((n + 1) * (m + 1), sizeof *lcs);
    if (!lcs)
        return (size_t)-1;
#define L(i, j) lcs[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L(i, j) = same(a, i, b, j) ? L(i + 1, j + 1) + 1
                                       : (L(i + 1, j) >= L(i, j + 1) ? L(i + 1, j) : L(i, j + 1));
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && same(a, i, b, j)) {
            out[k++] = (edit){' ', i++, j++};
        } else if (j < m && (i == n || L(i, j + 1) >= L(i + 1, j))) {
            out[k++] = (edit){'+', i, j++};
        } else {
            out[k++] = (edit){'-', i++, j};
        }
    }
#undef L
    free(lcs);
    /* a removal directly after an addition reads better first: "-old" then "+new" */
    for (size_t x = 1; x < k; x++)
        for (size_t y = x; y > 0 && out[y].op == '-' && out[y - 1].op == '+'; y--) {
            edit t = out[y];
            out[y] = out[y - 1];
            out[y - 1] = t;
        }
    return k;
}

typedef struct buf {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->p, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void putf_range(buf *b, char sign, size_t first, size_t count) {
    char t[64];
    /* diff -u: a one-line range is written without its count, an empty one
     * names the line before it */
    size_t start = count ? first + 1 : first;
    int n = count == 1 ? snprintf(t, sizeof t, "%c%zu", sign, start)
                       : snprintf(t, sizeof t, "%c%zu,%zu", sign, start, count);
    put(b, t, (size_t)n);
}

/* One hunk: edits from..to (exclusive). */
static void hunk(buf *b, const lines *a, const lines *bl, const edit *e, size_t from, size_t to) {
    size_t na = 0, nb = 0;
    for (size_t k = from; k < to; k++) {
        na += e[k].op != '+';
        nb += e[k].op != '-';
    }
    put(b, "@@ ", 3);
    putf_range(b, '-', e[from].a, na);
    put(b, " ", 1);
    putf_range(b, '+', e[from].b, nb);
    put(b, " @@\n", 4);
    for (size_t k = from; k < to; k++) {
        put(b, &e[k].op, 1);
        if (e[k].op == '+')
            put(b, bl->start[e[k].b], bl->len[e[k].b]);
        else
            put(b, a->start[e[k].a], a->len[e[k].a]);
        put(b, "\n", 1);
    }
}

static void hunks(buf *b, const lines *a, const lines *bl, const edit *e, size_t k, int context) {
    size_t ctx = context > 0 ? (size_t)context : 0;
    size_t x = 0;
    while (x < k) {
        while (x < k && e[x].op == ' ')
            x++;
        if (x == k)
            break;
        size_t from = x > ctx ? x - ctx : 0, end = x;
        /* extend while the next change is within 2*context kept lines */
        for (;;) {
            while (end < k && e[end].op != ' ')
                end++;
            size_t kept = end;
            while (kept < k && e[kept].op == ' ' && kept - end < 2 * ctx + 1)
                kept++;
            if (kept < k && e[kept].op != ' ' && kept - end <= 2 * ctx) {
                end = kept;
                continue;
            }
            break;
        }
        size_t to = end + ctx < k ? end + ctx : k;
        hunk(b, a, bl, e, from, to);
        x = end;
    }
}

char *text_diff_unified(const char *old_text, const char *new_text, const char *old_name,
                        const char *new_name, int context) {
    lines a = {0}, bl = {0};
    buf b = {0};
    edit *e = NULL;
    char *result = NULL;
    if (!split(old_text, &a) || !split(new_text, &bl) ||
        !(e = calloc(a.n + bl.n + 1, sizeof *e)))
        goto out;
    size_t k = script(&a, &bl, e);
    if (k == (size_t)-1)
        goto out;
    bool differs = false;
    for (size_t x = 0; x < k; x++)
        differs |= e[x].op != ' ';
    put(&b, "", 0);
    if (differs) {
        put(&b, "--- ", 4);
        put(&b, old_name, strlen(old_name));
        put(&b, "\n+++ ", 5);
        put(&b, new_name, strlen(new_name));
        put(&b, "\n", 1);
        hunks(&b, &a, &bl, e, k, context);
    }
    if (!b.failed) {
        result = b.p;
        b.p = NULL;
    }
out:
    free(b.p);
    free(e);
    free(a.start);
    free(a.len);
    free(bl.start);
    free(bl.len);
    return result;
}
