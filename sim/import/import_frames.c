/* import_frames: hex frames without times, one a line (capture.h), as
 * libmbus's test frames and many bug reports give them:
 *     68 1F 1F 68 08 02 72 78 56 34 12 24 40 01 07 55 00 00 00 03 13 ... 16
 *     1844A5110200003001077A000000000413D0070000025B0C00
 * Blanks between the bytes are optional, a 0x prefix too. The file has no
 * times, so the frames are taken 1 s apart (a NOTE says so). A file of only
 * wired long frames is the answers of wired slaves (the M-Bus importer);
 * otherwise the frames are radio telegrams. */
#include <ctype.h>
#include <string.h>
#include "sim/import/capture.h"
#include "sim/import/capture_lines.h"
#include "sim/import/import_format.h"

#define FRAME_MAX 1024
#define FRAME_GAP_NS 1000000000LL

static int frame_line(capture *c, const char *path, unsigned ln, const char *line, const char **skip, char *err,
                      size_t errlen) {
    (void)skip;
    uint8_t buf[FRAME_MAX];
    long nb = capture_hex_bytes(line, strlen(line), true, buf, sizeof buf);
    if (nb < 0)
        return capture_line_fail(err, errlen, path, ln, 0,
                                 "a frame of hex digits expected (one frame a line, blanks between bytes allowed)");
    if (capture_add(c, (int64_t)c->n * FRAME_GAP_NS, CAP_FROM_SLAVE, buf, (size_t)nb, ln) < 0)
        return capture_line_fail(err, errlen, path, ln, 0, "out of memory");
    if (capture_looks_wired(buf, (size_t)nb)) c->wired_lines++;
    return 0;
}

int capture_read_frames(const char *path, capture *c, char *err, size_t errlen) {
    c->kind = CAP_RADIO;
    snprintf(c->format, sizeof c->format, "frames");
    int rc = capture_read_lines(path, c, "#;", frame_line, err, errlen);
    if (rc == 0) rc = capture_route_wired(c, path, err, errlen);
    if (rc == 0) capture_note(c, "the capture has no times: its %zu frames are taken 1 s apart", c->n);
    return rc;
}

/* "68 1F 1F 68 08 ..." (at least three blank-separated bytes) or one long run
 * of hex digits alone on the line: more specific than hex's "time or hex
 * digits", which needs a time before the telegram. */
int import_detect_frames(const import_probe *p) {
    const char *l = p->first_line;
    if (!l) return 0;
    size_t pairs = 0, run = 0, tokens = 0;
    for (const char *s = l; *s && *s != '\r' && *s != '\n';) {
        if (*s == ' ' || *s == '\t') {
            s++;
            continue;
        }
        size_t n = 0;
        while (s[n] && !isspace((unsigned char)s[n])) {
            if (!isxdigit((unsigned char)s[n])) return 0;
            n++;
        }
        tokens++;
        if (n == 2) pairs++;
        else if (n % 2 == 0 && n >= 8) run = n;
        else return 0;
        s += n;
    }
    return (pairs >= 3 && pairs == tokens) || (tokens == 1 && run) ? 2 : 0;
}
