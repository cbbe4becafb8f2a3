/* import_rtl433: rtl_433's wM-Bus output (capture.h), as `-F json` or
 * `-F csv` writes it (decoders 104 "Wireless M-Bus, Mode C&T" and 105 "Mode S"):
 *     {"time" : "2026-12-07 12:52:08", "model" : "Wireless-MBus", "mode" : "C",
 *      ..., "data_length" : 25, "data" : "1644a5110200...0c004132", ...}
 *     time,msg,codes,model,mode,id,...,data_length,data,mic,...   (CSV: a header, then rows)
 * rtl_433 (22.11) writes the telegram without the CRCs of its blocks but with
 * the last block's CRC after it, and an L field 2 less than the standard's;
 * data_length is the telegram's length with its L field, so the telegram is
 * rebuilt as L = data_length - 1 followed by data's octets 1 .. data_length-1.
 * rtl_433 mixes every device it hears: lines of other models are counted as
 * skipped. Its rssi (-M level) is dB relative to the receiver's full scale,
 * not dBm, so it is not used (a NOTE says so). "time" is taken as UTC (rtl_433
 * writes local time unless -M time:utc); a line without one is 1 s after
 * the one before. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "sim/wmbus/air.h"
#include "sim/import/capture.h"
#include "sim/import/capture_lines.h"
#include "sim/import/import_format.h"

#define TELEGRAM_MAX 1024
#define CSV_MAX_COLS 256

/* What one line gave, JSON or CSV. */
typedef struct rtl433_row {
    const char *model, *mode, *data, *time;
    double time_num;        /* -M time:unix as a number */
    bool has_time_num, has_rssi;
    long data_length;       /* -1: not given */
} rtl433_row;

static struct { /* the CSV header's columns (-1: absent); one import per process */
    bool have_header;
    int model, mode, data, data_length, time, rssi;
    bool noted_rssi;
} csv;

static int take_row(capture *c, const char *path, unsigned ln, const rtl433_row *r, const char **skip, char *err,
                    size_t errlen) {
    if (!r->model || strcmp(r->model, "Wireless-MBus") != 0) {
        *skip = "rtl_433 lines of other models than Wireless-MBus";
        return 1;
    }
    char m[3] = {r->mode ? r->mode[0] : 0, r->mode && r->mode[0] ? r->mode[1] : 0, 0};
    if (m[1] == '\0') m[1] = '1'; /* "C": rtl_433 does not tell C1 from C2 */
    int mode = air_mode_parse(m);
    if (mode < 0) {
        *skip = "rtl_433 Wireless-MBus lines of a mode the bench's module lacks (R, F, ...)";
        return 1;
    }
    uint8_t buf[TELEGRAM_MAX];
    long nb = r->data ? capture_hex_bytes(r->data, strlen(r->data), false, buf, sizeof buf) : -1;
    if (nb < 2) return capture_line_fail(err, errlen, path, ln, 0, "\"data\" must be the telegram in hex digits");
    if (r->data_length >= 0) {
        if (r->data_length < 2 || r->data_length > nb)
            return capture_line_fail(err, errlen, path, ln, 0, "\"data_length\" must count the octets of \"data\"");
        nb = r->data_length;
        buf[0] = (uint8_t)(nb - 1);
    }
    int64_t t = c->n ? c->frames[c->n - 1].t_ns + 1000000000LL : 0; /* no time: 1 s after the last */
    if (r->time && !capture_parse_wall(r->time, &t)) {
        char *end;
        double s = strtod(r->time, &end);
        if (end == r->time || s < 0 || s > 9e9)
            return capture_line_fail(err, errlen, path, ln, 0, "\"time\" must be a date and time or seconds");
        t = (int64_t)(s * 1e9);
    } else if (r->has_time_num && r->time_num >= 0 && r->time_num < 9e9) {
        t = (int64_t)(r->time_num * 1e9);
    } else if (!r->time) {
        c->untimed++;
    }
    if (capture_add(c, t, CAP_FROM_SLAVE, buf, (size_t)nb, ln) < 0)
        return capture_line_fail(err, errlen, path, ln, 0, "out of memory");
    c->frames[c->n - 1].has_mode = true;
    c->frames[c->n - 1].mode = mode;
    if (r->has_rssi && !csv.noted_rssi) {
        csv.noted_rssi = true;
        capture_note(c, "rtl_433's rssi is dB relative to its receiver's full scale, not dBm: the telegrams go on "
                        "the air at the emulated module's default level");
    }
    return 0;
}

static const char *json_text(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int json_line(capture *c, const char *path, unsigned ln, const char *line, const char **skip, char *err,
                     size_t errlen) {
    json_error_t e;
    json_t *o = json_loads(line, JSON_DISABLE_EOF_CHECK, &e);
    if (!json_is_object(o)) {
        json_decref(o);
        return capture_line_fail(err, errlen, path, ln, o ? 0 : (size_t)(e.column > 0 ? e.column - 1 : 0),
                                 "an rtl_433 JSON object expected (-F json, one a line)");
    }
    json_t *len = json_object_get(o, "data_length"), *tm = json_object_get(o, "time");
    rtl433_row r = {.model = json_text(o, "model"), .mode = json_text(o, "mode"), .data = json_text(o, "data"),
                    .time = json_text(o, "time"), .has_time_num = json_is_number(tm),
                    .time_num = json_is_number(tm) ? json_number_value(tm) : 0,
                    .has_rssi = json_object_get(o, "rssi") != NULL,
                    .data_length = json_is_integer(len) ? (long)json_integer_value(len) : -1};
    int rc = take_row(c, path, ln, &r, skip, err, errlen);
    json_decref(o);
    return rc;
}

/* Cut a CSV line in place (rtl_433 quotes a field with a comma in "..."). */
static size_t csv_fields(char *line, char **field, size_t max) {
    size_t n = 0;
    for (char *p = line; n < max;) {
        bool quoted = *p == '"';
        if (quoted) p++;
        field[n++] = p;
        char *end = quoted ? strchr(p, '"') : NULL;
        if (end) *end = '\0', p = end + 1;
        char *comma = strchr(p, ',');
        if (!quoted && comma) *comma = '\0';
        else if (quoted && *p == ',') *p = '\0', comma = p;
        if (!comma) break;
        p = comma + 1;
    }
    return n;
}

static int column(char **field, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(field[i], name) == 0) return (int)i;
    return -1;
}

static const char *cell(char **field, size_t n, int col) {
    return col >= 0 && (size_t)col < n && field[col][0] ? field[col] : NULL;
}

static int csv_line(capture *c, const char *path, unsigned ln, const char *line, const char **skip, char *err,
                    size_t errlen) {
    char *copy = strdup(line), *field[CSV_MAX_COLS];
    if (!copy) return capture_line_fail(err, errlen, path, ln, 0, "out of memory");
    size_t n = csv_fields(copy, field, CSV_MAX_COLS);
    int rc = 0;
    if (!csv.have_header) { /* the header: which column holds what */
        csv.have_header = true;
        csv.model = column(field, n, "model"), csv.mode = column(field, n, "mode");
        csv.data = column(field, n, "data"), csv.data_length = column(field, n, "data_length");
        csv.time = column(field, n, "time"), csv.rssi = column(field, n, "rssi");
        if (csv.model < 0 || csv.data < 0)
            rc = capture_line_fail(err, errlen, path, ln, 0, "the rtl_433 CSV header needs model and data columns");
        else *skip = "the CSV header";
        free(copy);
        return rc ? rc : 1;
    }
    const char *dl = cell(field, n, csv.data_length);
    rtl433_row r = {.model = cell(field, n, csv.model), .mode = cell(field, n, csv.mode),
                    .data = cell(field, n, csv.data), .time = cell(field, n, csv.time),
                    .has_rssi = cell(field, n, csv.rssi) != NULL, .data_length = dl ? strtol(dl, NULL, 10) : -1};
    rc = take_row(c, path, ln, &r, skip, err, errlen);
    free(copy);
    return rc;
}

int capture_read_rtl433(const char *path, capture *c, char *err, size_t errlen) {
    c->kind = CAP_RADIO;
    snprintf(c->format, sizeof c->format, "rtl_433");
    memset(&csv, 0, sizeof csv);
    FILE *f = fopen(path, "r");
    int first = f ? fgetc(f) : EOF;
    while (first == ' ' || first == '\t' || first == '\n' || first == '\r') first = fgetc(f);
    if (f) fclose(f);
    c->has_wall = true; /* the first frame's time is the scenario's start, unless no line had one */
    int rc = capture_read_lines(path, c, "#", first == '{' ? json_line : csv_line, err, errlen);
    if (rc == 0 && c->untimed == c->n) c->has_wall = false, c->t0_wall_ns = 0;
    if (rc == 0 && c->untimed)
        capture_note(c, "%zu rtl_433 lines without a time: each taken 1 s after the one before", c->untimed);
    if (rc == 0) capture_note(c, "rtl_433 does not tell C1 from C2 or T1 from T2: its modes C and T taken as C1, T1");
    return rc;
}

/* A JSON object naming an rtl_433 model, or rtl_433's CSV header. */
int import_detect_rtl433(const import_probe *p) {
    const char *l = p->first_line;
    if (!l) return 0;
    if (*l == '{' && strstr(l, "\"model\"")) return 3;
    return strncmp(l, "time,", 5) == 0 && strstr(l, ",model,") ? 3 : 0;
}
