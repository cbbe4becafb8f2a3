/* cron: schedules for readouts and reports — cron patterns in the dialects of
 * the products in spec/ (CMe3100, SX5D1) and plain intervals — and the
 * computation of the next time a schedule fires.
 *
 * Pure: text in, struct out; next-fire times from a given wall time (UTC).
 * No clock reads: callers pass clock_wall_ns() and set a loop timer.
 *
 * Syntax (both dialects): five fields, minute hour day-of-month month
 * day-of-week, separated by blanks. Each field is a comma list of
 *   *            every value
 *   N            a number (day-of-week also sun..sat, month also jan..dec)
 *   N-M          a range; M < N wraps around (hour 23-7 = 23,0,...,7) (SX5D1)
 *   X/S          every S-th value of X = *, N-M, or N (N/S = N..max, SX5D1 `10/5`)
 *   ?  ?N-M      one random value of the field's range / of N..M (CMe3100),
 *                drawn once at parse time from the caller's seed
 * Blanks after a comma are tolerated (SX5D1 example "23-7/2, 8").
 * Several patterns joined by `|` fire when any of them does (CMe3100).
 * Day-of-week: 0 or 7 = Sunday, 1 = Monday ... 6 = Saturday.
 * Day-of-month and day-of-week both restricted:
 *   CRON_CME3100 — both must match (AND, "every Monday if the day is the 16th");
 *   CRON_SX5D1   — either may match (Vixie OR, "the 4th and Monday to Wednesday").
 * A plain interval ("15m", "1h", "30s") fires at every multiple of the interval
 * since the Unix epoch (so "15m" = :00 :15 :30 :45, like "* /15 * * * *"). */
#ifndef GW_CRON_H
#define GW_CRON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CRON_CME3100, CRON_SX5D1 } cron_dialect;

enum { CRON_MINUTE, CRON_HOUR, CRON_DOM, CRON_MONTH, CRON_DOW, CRON_FIELDS };
#define CRON_MAX_PATTERNS 8

typedef struct cron_pattern {
    uint64_t bits[CRON_FIELDS]; /* bit v set = value v matches (dow 0..6, month 1..12) */
    bool dom_any, dow_any;      /* field was `*` (unrestricted) */
} cron_pattern;

typedef struct cron_schedule {
    cron_dialect dialect;
    int64_t interval_ns; /* > 0: plain interval, patterns unused */
    size_t n;            /* patterns joined by `|` */
    cron_pattern pat[CRON_MAX_PATTERNS];
} cron_schedule;

typedef struct cron_error {
    int column; /* 1-based character column in the text of what is wrong */
    char msg[160];
} cron_error;

/* "cme3100" or "sx5d1"; false for anything else. */
bool cron_dialect_parse(const char *name, cron_dialect *out);

/* Parse a cron pattern (or a plain interval: a duration such as "15m").
 * seed chooses the `?` values (same seed, same values). false with err set
 * ("minute: 60 is out of range 0-59" at its column) on a bad schedule. */
bool cron_parse(const char *text, cron_dialect dialect, uint64_t seed, cron_schedule *out,
                cron_error *err);

/* First fire time strictly after after_ns (wall ns, UTC; fires on whole
 * minutes for patterns). INT64_MAX when it never fires (e.g. 30 February). */
int64_t cron_next(const cron_schedule *s, int64_t after_ns);

/* Typical period: the gap between the next two fires after from_ns (used by
 * the report retry policy, which depends on the schedule length). */
int64_t cron_period_ns(const cron_schedule *s, int64_t from_ns);
#endif
