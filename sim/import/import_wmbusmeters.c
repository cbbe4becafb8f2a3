/* import_wmbusmeters: wmbusmeters' telegram lines (capture.h), as its
 * --logtelegrams output and its simulation files hold them:
 *     telegram=|2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493B2A8B013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A|
 *     telegram=|1844AE4C4455223368077A55000000_041389E20100023B0000|+32
 * The hex between the bars is the telegram, L field first, without CRCs;
 * '_' (wmbusmeters' mark between header and payload) and blanks are ignored.
 * "+SECONDS" after the closing bar is taken as the telegram's time; without
 * one, telegrams are 1 s apart (a NOTE says so). Every other line
 * (wmbusmeters' expected JSON, meter lines, log text) is counted as skipped. */
#include <stdlib.h>
#include <string.h>
#include "sim/import/capture.h"
#include "sim/import/capture_lines.h"
#include "sim/import/import_format.h"

#define TELEGRAM_MAX 1024

static int wmbusmeters_line(capture *c, const char *path, unsigned ln, const char *line, const char **skip,
                            char *err, size_t errlen) {
    const char *start = strstr(line, "telegram=|");
    if (!start) {
        *skip = "not a telegram=|...| line (wmbusmeters' other output)";
        return 1;
    }
    start += strlen("telegram=|");
    const char *end = strchr(start, '|');
    if (!end) return capture_line_fail(err, errlen, path, ln, (size_t)(start - line), "telegram=| needs a closing |");
    uint8_t buf[TELEGRAM_MAX];
    long nb = capture_hex_bytes(start, (size_t)(end - start), true, buf, sizeof buf);
    if (nb < 0)
        return capture_line_fail(err, errlen, path, ln, (size_t)(start - line),
                                 "the telegram between the bars must be pairs of hex digits");
    int64_t t = c->n ? c->frames[c->n - 1].t_ns + 1000000000LL : 0; /* no time: 1 s after the last */
    if (end[1] == '+') {
        char *stop;
        double s = strtod(end + 2, &stop);
        if (stop == end + 2 || s < 0 || s > 9e9)
            return capture_line_fail(err, errlen, path, ln, (size_t)(end + 1 - line), "+SECONDS expected after the bar");
        t = (int64_t)(s * 1e9 + 0.5);
    } else {
        c->untimed++;
    }
    if (capture_add(c, t, CAP_FROM_SLAVE, buf, (size_t)nb, ln) < 0)
        return capture_line_fail(err, errlen, path, ln, 0, "out of memory");
    return 0;
}

int capture_read_wmbusmeters(const char *path, capture *c, char *err, size_t errlen) {
    c->kind = CAP_RADIO;
    snprintf(c->format, sizeof c->format, "wmbusmeters");
    int rc = capture_read_lines(path, c, "#", wmbusmeters_line, err, errlen);
    if (rc == 0 && c->untimed)
        capture_note(c, "%zu telegram lines without +SECONDS: taken 1 s apart (in file order)", c->untimed);
    return rc;
}

int import_detect_wmbusmeters(const import_probe *p) {
    return p->first_line && strstr(p->first_line, "telegram=|") ? 3 : 0;
}
