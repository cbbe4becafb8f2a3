/* capture: the in-memory capture and the helpers its readers share (capture.h). */
#include "sim/import/capture.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int capture_add(capture *c, int64_t t_ns, int dir, const uint8_t *bytes, size_t len,
                unsigned line) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        cap_frame *f = realloc(c->frames, cap * sizeof *f);
        if (!f) return -1;
        c->frames = f;
        c->cap = cap;
    }
    cap_frame *f = &c->frames[c->n];
    memset(f, 0, sizeof *f);
    f->bytes = malloc(len ? len : 1);
    if (!f->bytes) return -1;
    if (len) memcpy(f->bytes, bytes, len);
    f->len = len;
    f->t_ns = t_ns;
    f->dir = dir;
    f->line = line;
    c->n++;
    return 0;
}

static int by_time(const void *a, const void *b) {
    const cap_frame *x = a, *y = b;
    if (x->t_ns != y->t_ns) return x->t_ns < y->t_ns ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line; /* keeps file order: stable */
}

void capture_normalize(capture *c) {
    if (c->n == 0) return;
    qsort(c->frames, c->n, sizeof *c->frames, by_time);
    int64_t t0 = c->frames[0].t_ns;
    if (c->has_wall) c->t0_wall_ns = t0;
    for (size_t i = 0; i < c->n; i++) c->frames[i].t_ns -= t0;
}

void capture_free(capture *c) {
    for (size_t i = 0; i < c->n; i++) free(c->frames[i].bytes);
    free(c->frames);
    memset(c, 0, sizeof *c);
}

static size_t digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return (size_t)n;
}

size_t capture_parse_wall(const char *s, int64_t *out_ns) {
    int y, mo, d, h, mi, sec;
    if (!digits(s, 4, &y) || (s[4] != '-' && s[4] != '/') || !digits(s + 5, 2, &mo) ||
        s[7] != s[4] || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return 0;
    /* nanoseconds since the epoch in 64 bits cover 1678..2262 only */
    if (y < 1900 || y > 2200) return 0;
    size_t i = 19;
    int64_t frac = 0;
    if (s[i] == '.' || s[i] == ',') {
        int64_t scale = 100000000;
        for (i++; isdigit((unsigned char)s[i]); i++) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (s[i] == 'Z') i++;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    *out_ns = (int64_t)timegm(&tm) * 1000000000LL + frac;
    return i;
}

void capture_count(capture *c, const char *what, unsigned long n) {
    if (n == 0) return;
    for (size_t i = 0; i < c->n_counted; i++)
        if (strcmp(c->counted[i].what, what) == 0) {
            c->counted[i].n += n;
            return;
        }
    /* when full, the last slot gathers the rest, so the total stays right */
    size_t i = c->n_counted < CAP_MAX_COUNTS ? c->n_counted++ : CAP_MAX_COUNTS - 1;
    if (c->counted[i].n == 0) snprintf(c->counted[i].what, sizeof c->counted[i].what, "%s", what);
    else snprintf(c->counted[i].what, sizeof c->counted[i].what, "other kinds and reasons");
    c->counted[i].n += n;
}

void capture_note(capture *c, const char *fmt, ...) {
    if (c->n_notes == CAP_MAX_NOTES) {
        c->notes_dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->notes[c->n_notes++], sizeof c->notes[0], fmt, ap);
    va_end(ap);
}

void capture_print_counts(const capture *c, FILE *out, const char *prefix) {
    for (size_t i = 0; i < c->n_counted; i++)
        fprintf(out, "%snot replayed: %s: %lu\n", prefix, c->counted[i].what, c->counted[i].n);
    for (size_t i = 0; i < c->n_notes; i++) fprintf(out, "%sNOTE %s\n", prefix, c->notes[i]);
    if (c->notes_dropped) fprintf(out, "%sNOTE ... and %zu more notes\n", prefix, c->notes_dropped);
}
