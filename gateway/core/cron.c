/* cron: parse schedules and compute their next fire time (see cron.h).
 *
 * A pattern is five bit sets, one per field. The next fire time is found day by
 * day (month, day-of-month, day-of-week decide whether a day can fire), then
 * the first matching hour and minute of that day: at most a few thousand days
 * are looked at even for rare patterns (29 February on a Monday: 28 years). */
#include "core/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"

#define NS_PER_MIN (60 * NS_PER_S)
#define NS_PER_DAY (86400 * NS_PER_S)
#define MAX_DAYS_AHEAD (366 * 30) /* beyond this a pattern is taken to never fire */

static const struct field_def {
    const char *name;
    int min, max;
} fields[CRON_FIELDS] = {
    {"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12},
    {"day-of-week", 0, 7},
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

bool cron_dialect_parse(const char *name, cron_dialect *out) {
    if (name && strcmp(name, "cme3100") == 0)
        *out = CRON_CME3100;
    else if (name && strcmp(name, "sx5d1") == 0)
        *out = CRON_SX5D1;
    else
        return false;
    return true;
}

/* ---- parsing ---- */

typedef struct parser {
    const char *text; /* whole schedule, for columns */
    const char *p;
    uint64_t rng;
    cron_error *err;
} parser;

static bool fail_at(parser *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail_at(parser *ps, const char *at, const char *fmt, ...) {
    ps->err->column = (int)(at - ps->text) + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* splitmix64: a small, well-mixed generator; the seed makes `?` reproducible. */
static uint64_t next_random(parser *ps) {
    uint64_t z = (ps->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static bool name_value(const char *s, int field, int *out, size_t *len) {
    const char *const *names = field == CRON_MONTH ? month_names : day_names;
    int n = field == CRON_MONTH ? 12 : 7, base = field == CRON_MONTH ? 1 : 0;
    if (field != CRON_MONTH && field != CRON_DOW)
        return false;
    for (int i = 0; i < n; i++) {
        if (strncasecmp(s, names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
            *out = i + base;
            *len = 3;
            return true;
        }
    }
    return false;
}

/* A number or a name, within the field's range. */
static bool parse_value(parser *ps, int field, int *out) {
    const struct field_def *f = &fields[field];
    const char *start = ps->p;
    size_t len;
    if (isalpha((unsigned char)*ps->p) && (field == CRON_MONTH || field == CRON_DOW)) {
        if (!name_value(ps->p, field, out, &len))
            return fail_at(ps, start, "%s: unknown name '%.*s'", f->name,
                           (int)strspn(start, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                           start);
        ps->p += len;
        return true;
    }
    if (!isdigit((unsigned char)*ps->p))
        return fail_at(ps, start, "%s: expected a number, '*' or '?'", f->name);
    long v = 0;
    while (isdigit((unsigned char)*ps->p) && v < 1000)
        v = v * 10 + (*ps->p++ - '0');
    if (v < f->min || v > f->max)
        return fail_at(ps, start, "%s: %ld is out of range %d-%d", f->name, v, f->min, f->max);
    *out = (int)v;
    return true;
}

static int field_span(int field) {
    return field == CRON_DOW ? 7 : fields[field].max - fields[field].min + 1;
}

/* Set lo..hi stepping by step; hi < lo wraps past the field's maximum. */
static void set_range(uint64_t *bits, int field, int lo, int hi, int step) {
    int min = fields[field].min, span = field_span(field);
    if (field == CRON_DOW) { /* 7 is Sunday = 0 */
        lo %= 7;
        hi %= 7;
    }
    int count = (hi - lo + span) % span; /* values after lo up to hi */
    for (int k = 0; k <= count; k += step)
        *bits |= 1ull << ((lo - min + k) % span + min);
}

/* `?` or `?N-M`: one value drawn now. */
static bool parse_random(parser *ps, int field, uint64_t *bits) {
    int lo = fields[field].min, hi = field == CRON_DOW ? 6 : fields[field].max;
    ps->p++;
    if (isalnum((unsigned char)*ps->p)) {
        const char *at = ps->p;
        if (!parse_value(ps, field, &lo))
            return false;
        if (*ps->p != '-')
            return fail_at(ps, ps->p, "%s: '?' takes a range, e.g. ?1-30", fields[field].name);
        ps->p++;
        if (!parse_value(ps, field, &hi))
            return false;
        if (hi < lo)
            return fail_at(ps, at, "%s: random range %d-%d is reversed", fields[field].name, lo,
                           hi);
    }
    int v = lo + (int)(next_random(ps) % (uint64_t)(hi - lo + 1));
    set_range(bits, field, v, v, 1);
    return true;
}

/* One list item: *, N, N-M, with an optional /S; or a random value. */
static bool parse_item(parser *ps, int field, uint64_t *bits, bool *star) {
    const struct field_def *f = &fields[field];
    if (*ps->p == '?')
        return parse_random(ps, field, bits);
    int lo = f->min, hi = field == CRON_DOW ? 6 : f->max, step = 1;
    bool range = false;
    if (*ps->p == '*') {
        ps->p++;
        *star = true;
        range = true;
    } else {
        if (!parse_value(ps, field, &lo))
            return false;
        hi = lo;
        if (*ps->p == '-') {
            ps->p++;
            if (!parse_value(ps, field, &hi))
                return false;
            range = true;
        }
    }
    if (*ps->p == '/') {
        const char *at = ++ps->p;
        long s = 0;
        while (isdigit((unsigned char)*ps->p) && s < 1000)
            s = s * 10 + (*ps->p++ - '0');
        if (at == ps->p || s < 1 || s > field_span(field))
            return fail_at(ps, at, "%s: step must be 1-%d", f->name, field_span(field));
        step = (int)s;
        if (!range) /* N/S = from N to the end of the field (SX5D1 "10/5") */
            hi = field == CRON_DOW ? 6 : f->max;
        *star = false; /* "*\/2" restricts the field */
    }
    set_range(bits, field, lo, hi, step);
    return true;
}

static bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

static bool parse_field(parser *ps, int field, cron_pattern *pat) {
    bool star = false;
    pat->bits[field] = 0;
    for (;;) {
        bool item_star = false;
        if (!parse_item(ps, field, &pat->bits[field], &item_star))
            return false;
        star = star || item_star;
        if (*ps->p != ',')
            break;
        ps->p++;
        while (is_blank(*ps->p)) /* "23-7/2, 8" */
            ps->p++;
    }
    if (*ps->p && !is_blank(*ps->p) && *ps->p != '|')
        return fail_at(ps, ps->p, "%s: unexpected '%c'", fields[field].name, *ps->p);
    if (field == CRON_DOM)
        pat->dom_any = star;
    if (field == CRON_DOW)
        pat->dow_any = star;
    return true;
}

static bool parse_pattern(parser *ps, cron_pattern *pat) {
    memset(pat, 0, sizeof *pat);
    for (int field = 0; field < CRON_FIELDS; field++) {
        while (is_blank(*ps->p))
            ps->p++;
        if (!*ps->p || *ps->p == '|')
            return fail_at(ps, ps->p, "%s: missing (a pattern has 5 fields: minute hour "
                           "day-of-month month day-of-week)", fields[field].name);
        if (!parse_field(ps, field, pat))
            return false;
    }
    while (is_blank(*ps->p))
        ps->p++;
    if (*ps->p && *ps->p != '|')
        return fail_at(ps, ps->p, "more than 5 fields");
    return true;
}

static bool parse_interval(const char *text, cron_schedule *out) {
    int64_t ns;
    if (strpbrk(text, " \t|*?,/") || !cfg_parse_duration_ns(text, &ns) || ns <= 0)
        return false;
    out->interval_ns = ns;
    return true;
}

bool cron_parse(const char *text, cron_dialect dialect, uint64_t seed, cron_schedule *out,
                cron_error *err) {
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    out->dialect = dialect;
    parser ps = {.text = text ? text : "", .p = text ? text : "", .rng = seed, .err = err};
    while (is_blank(*ps.p))
        ps.p++;
    if (!*ps.p)
        return fail_at(&ps, ps.p, "empty schedule");
    if (parse_interval(ps.p, out))
        return true;
    for (;;) {
        if (out->n == CRON_MAX_PATTERNS)
            return fail_at(&ps, ps.p, "more than %d patterns joined by '|'", CRON_MAX_PATTERNS);
        if (!parse_pattern(&ps, &out->pat[out->n++]))
            return false;
        if (*ps.p != '|')
            return true;
        ps.p++;
    }
}

/* ---- next fire time ---- */

/* Civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool bit(uint64_t bits, int v) {
    return (bits >> v) & 1u;
}

static bool day_matches(const cron_pattern *p, cron_dialect dialect, int64_t day) {
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int dow = (int)(((day % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    if (!bit(p->bits[CRON_MONTH], m))
        return false;
    bool dom = bit(p->bits[CRON_DOM], d), wd = bit(p->bits[CRON_DOW], dow);
    if (dialect == CRON_SX5D1 && !p->dom_any && !p->dow_any)
        return dom || wd; /* Vixie: either restriction */
    return dom && wd;
}

/* First matching minute of the day at or after minute `from` (0..1439), or -1. */
static int first_minute(const cron_pattern *p, int from) {
    for (int h = from / 60; h < 24; h++) {
        if (!bit(p->bits[CRON_HOUR], h))
            continue;
        for (int mi = h == from / 60 ? from % 60 : 0; mi < 60; mi++)
            if (bit(p->bits[CRON_MINUTE], mi))
                return h * 60 + mi;
    }
    return -1;
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t pattern_next(const cron_pattern *p, cron_dialect dialect, int64_t after_ns) {
    int64_t start_min = floor_div(after_ns, NS_PER_MIN) + 1; /* strictly after */
    int64_t day = floor_div(start_min, 1440);
    int from = (int)(start_min - day * 1440);
    for (int64_t k = 0; k < MAX_DAYS_AHEAD; k++, day++, from = 0) {
        if (!day_matches(p, dialect, day))
            continue;
        int minute = first_minute(p, from);
        if (minute >= 0)
            return day * NS_PER_DAY + (int64_t)minute * NS_PER_MIN;
    }
    return INT64_MAX;
}

int64_t cron_next(const cron_schedule *s, int64_t after_ns) {
    if (s->interval_ns > 0)
        return (floor_div(after_ns, s->interval_ns) + 1) * s->interval_ns;
    int64_t best = INT64_MAX;
    for (size_t i = 0; i < s->n; i++) {
        int64_t t = pattern_next(&s->pat[i], s->dialect, after_ns);
        if (t < best)
            best = t;
    }
    return best;
}

int64_t cron_period_ns(const cron_schedule *s, int64_t from_ns) {
    if (s->interval_ns > 0)
        return s->interval_ns;
    int64_t a = cron_next(s, from_ns);
    if (a == INT64_MAX)
        return INT64_MAX;
    int64_t b = cron_next(s, a);
    return b == INT64_MAX ? INT64_MAX : b - a;
}
