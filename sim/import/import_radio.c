/* import_radio: readers for radio receivers' logs (capture.h).
 *
 * Timestamped hex lines, one telegram per line:
 *     TIME [RSSI] HEX [crc_error]
 * TIME is a UTC wall time ("2026-01-01T00:00:05.250Z", "2026-01-01 00:00:05")
 * or seconds from any origin ("5.25"); RSSI an optional signed integer in dBm
 * ("-71", "-71dBm", "rssi=-71"); HEX the telegram, L field first, with or
 * without CRCs, optionally "0x"-prefixed; "crc_error" marks a telegram the
 * receiver flagged (what `hil import` writes for rtl-wmbus CRC field 0). `#` comments and blank lines are
 * skipped.
 *
 * rtl-wmbus lines:
 *     MODE;CRC_OK;3OF6_OK;YYYY-MM-DD HH:MM:SS.mmm;RSSI;LQI;ID;0xHEX
 * A telegram whose CRC field is 0 is kept (the receiver got it) and marked. */
#include "sim/wmbus/air.h"
#include "sim/import/capture.h"
#include "sim/import/capture_lines.h"
#include "sim/import/import_format.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TELEGRAM_MAX 1024
#define fail capture_line_fail

static long hex_token(const char *s, size_t n, uint8_t *out, size_t cap) {
    return capture_hex_bytes(s, n, false, out, cap);
}

static bool parse_rssi(const char *tok, size_t n, int *out) {
    char buf[32];
    if (n >= sizeof buf) return false;
    memcpy(buf, tok, n);
    buf[n] = '\0';
    const char *p = buf;
    if (strncmp(p, "rssi=", 5) == 0) p += 5;
    if (*p != '-' && *p != '+') return false; /* unsigned numbers are hex (a telegram "44") */
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p + 1 || (strcmp(end, "") != 0 && strcmp(end, "dBm") != 0) || v < -200 || v > 50)
        return false;
    *out = (int)v;
    return true;
}

/* One "TIME [RSSI] HEX" line (no comment, not blank). */
static int hex_line(capture *c, const char *path, unsigned ln, const char *line, const char **skip,
                    char *err, size_t errlen) {
    (void)skip;
    const char *p = line;
    int64_t t;
    size_t used = capture_parse_wall(p, &t);
    bool wall = used > 0;
    if (!wall) {
        char *end;
        double s = strtod(p, &end);
        if (end == p || !isspace((unsigned char)*end) || s < 0 || s > 9e9) /* seconds as int64 nanoseconds: < 9.2e9 */
            return fail(err, errlen, path, ln, 0, "a time expected (ISO UTC time or seconds)");
        t = (int64_t)(s * 1e9 + 0.5);
        used = (size_t)(end - p);
    }
    if (c->n && c->has_wall != wall)
        return fail(err, errlen, path, ln, 0, "mixes wall times and seconds");
    c->has_wall = wall;
    p += used;
    const char *tok[4];
    size_t len[4], n = 0;
    while (*p && n < 4) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        tok[n] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        len[n] = (size_t)(p - tok[n]);
        n++;
    }
    while (isspace((unsigned char)*p)) p++;
    bool crc_bad = n >= 2 && len[n - 1] == 9 && strncmp(tok[n - 1], "crc_error", 9) == 0;
    if (crc_bad) n--; /* a telegram the receiver flagged (from rtl-wmbus CRC field 0) */
    int mode = -1;    /* "mode=C1" before the telegram: the mode it was heard in */
    if (n >= 2 && len[n - 2] == 7 && strncmp(tok[n - 2], "mode=", 5) == 0) {
        char m[3] = {tok[n - 2][5], tok[n - 2][6], 0};
        if ((mode = air_mode_parse(m)) < 0)
            return fail(err, errlen, path, ln, (size_t)(tok[n - 2] - line), "mode= must be S1, T1 or C1");
        tok[n - 2] = tok[n - 1], len[n - 2] = len[n - 1];
        n--;
    }
    if (n == 0) return fail(err, errlen, path, ln, (size_t)(p - line), "a telegram (hex) expected");
    if (n >= 3 || *p)
        return fail(err, errlen, path, ln, (size_t)(p - line), "too many fields: TIME [RSSI] HEX [crc_error]");
    int rssi = 0;
    bool has_rssi = false;
    if (n == 2) {
        if (!parse_rssi(tok[0], len[0], &rssi))
            return fail(err, errlen, path, ln, (size_t)(tok[0] - line),
                        "RSSI must be a signed number of dBm (-71, -71dBm, rssi=-71)");
        has_rssi = true;
    }
    uint8_t buf[TELEGRAM_MAX];
    long nb = hex_token(tok[n - 1], len[n - 1], buf, sizeof buf);
    if (nb < 0)
        return fail(err, errlen, path, ln, (size_t)(tok[n - 1] - line),
                    "the telegram must be pairs of hex digits");
    if (capture_add(c, t, CAP_FROM_SLAVE, buf, (size_t)nb, ln) < 0)
        return fail(err, errlen, path, ln, 0, "out of memory");
    c->frames[c->n - 1].has_rssi = has_rssi;
    c->frames[c->n - 1].rssi = rssi;
    c->frames[c->n - 1].crc_bad = crc_bad;
    c->frames[c->n - 1].has_mode = mode >= 0;
    c->frames[c->n - 1].mode = mode < 0 ? 0 : mode;
    if (capture_looks_wired(buf, (size_t)nb)) c->wired_lines++;
    return 0;
}

/* "T1;1;1;2019-04-03 19:00:42.000;97;148;ID;0xHEX" */
static int rtl_line(capture *c, const char *path, unsigned ln, const char *line, const char **skip,
                    char *err, size_t errlen) {
    (void)skip;
    const char *field[10];
    size_t n = 0;
    field[n++] = line;
    for (const char *p = line; *p && n < 10; p++)
        if (*p == ';') field[n++] = p + 1;
    if (n < 8) return fail(err, errlen, path, ln, 0, "rtl-wmbus line needs 8 fields separated by ';'");
    int64_t t;
    if (!capture_parse_wall(field[3], &t))
        return fail(err, errlen, path, ln, (size_t)(field[3] - line), "a time YYYY-MM-DD HH:MM:SS.mmm expected");
    char *end;
    long rssi = strtol(field[4], &end, 10);
    if (end == field[4] || *end != ';')
        return fail(err, errlen, path, ln, (size_t)(field[4] - line), "RSSI must be a number");
    const char *hex = field[n - 1];
    size_t hl = strcspn(hex, " \t\r\n");
    uint8_t buf[TELEGRAM_MAX];
    long nb = strncmp(hex, "0x", 2) == 0 ? hex_token(hex, hl, buf, sizeof buf) : -1;
    if (nb < 0)
        return fail(err, errlen, path, ln, (size_t)(hex - line), "the telegram must be 0x and pairs of hex digits");
    if (capture_add(c, t, CAP_FROM_SLAVE, buf, (size_t)nb, ln) < 0)
        return fail(err, errlen, path, ln, 0, "out of memory");
    cap_frame *f = &c->frames[c->n - 1];
    f->has_rssi = true;
    f->rssi = (int)rssi;
    f->crc_bad = field[1][0] != '1';
    char mode[3] = {field[0][0], field[0][1] == ';' ? 0 : field[0][1], 0};
    int m = air_mode_parse(mode); /* the mode this telegram was heard in: C1 and T1 share a receiver */
    if (m < 0) return fail(err, errlen, path, ln, 0, "the mode field must be S1, T1 or C1");
    f->has_mode = true;
    f->mode = m;
    return 0;
}

int capture_read_hex(const char *path, capture *c, char *err, size_t errlen) {
    c->kind = CAP_RADIO;
    snprintf(c->format, sizeof c->format, "hex");
    int rc = capture_read_lines(path, c, "#", hex_line, err, errlen);
    return rc == 0 ? capture_route_wired(c, path, err, errlen) : rc;
}

int capture_read_rtl_wmbus(const char *path, capture *c, char *err, size_t errlen) {
    c->kind = CAP_RADIO;
    c->has_wall = true;
    snprintf(c->format, sizeof c->format, "rtl-wmbus");
    return capture_read_lines(path, c, "#", rtl_line, err, errlen);
}

/* ---- what `hil import auto` looks for (import_format.h) ---- */

static bool all_hex(const char *s) {
    size_t n = 0;
    for (; *s && !isspace((unsigned char)*s); s++, n++)
        if (!isxdigit((unsigned char)*s)) return false;
    return n >= 2;
}

/* A time, a number or hex digits: the least specific evidence. */
int import_detect_hex(const import_probe *p) {
    int64_t t;
    const char *l = p->first_line;
    return l && (capture_parse_wall(l, &t) || isdigit((unsigned char)*l) || all_hex(l)) ? 1 : 0;
}

/* ID fields and ";0x" before the telegram. */
int import_detect_rtl_wmbus(const import_probe *p) {
    const char *l = p->first_line;
    return l && strchr(l, ';') && strstr(l, ";0x") ? 2 : 0;
}
