/* import_socat: reader for `socat -x -v` dumps of a serial line (capture.h).
 *
 *   > 2026/01/01 00:00:00.013750  length=5 from=0 to=4
 *    10 40 05 45 16                                   .@.E.
 *   --
 *   < 2026/01/01 00:00:00.045833  length=1 from=0 to=0
 *    e5                                               .
 *   --
 * A header gives the direction ('>' left to right, '<' back), the time and the
 * number of bytes; the lines after it hold the bytes as hex pairs (then
 * socat's text column, which is ignored). Which side is the master is decided
 * by the writer from the frames (import_mbus.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/import/capture.h"
#include "sim/import/import_format.h"

#define CHUNK_MAX 4096

static int fail(char *err, size_t errlen, const char *path, unsigned line, size_t col,
                const char *what) {
    snprintf(err, errlen, "%s:%u:%zu: %s", path, line, col + 1, what);
    return -1;
}

/* " xx xx xx   text": hex pairs, each after one blank, until the pattern ends. */
static size_t hex_pairs(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (n < cap && s[0] == ' ' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
           (s[3] == ' ' || s[3] == '\0' || s[3] == '\n' || s[3] == '\r')) {
        char b[3] = {s[1], s[2], 0};
        out[n++] = (uint8_t)strtoul(b, NULL, 16);
        s += 3;
    }
    return n;
}

int capture_read_socat(const char *path, capture *c, char *err, size_t errlen) {
    c->kind = CAP_SERIAL;
    c->has_wall = true;
    snprintf(c->format, sizeof c->format, "socat");
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, errlen, path, 0, 0, "cannot open the capture");
    char line[1024];
    uint8_t chunk[CHUNK_MAX];
    size_t have = 0, want = 0;
    int dir = 0;
    int64_t t = 0;
    unsigned ln = 0, hdr_line = 0;
    int rc = 0;
    bool in_chunk = false;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        if ((line[0] == '>' || line[0] == '<') && line[1] == ' ') {
            if (in_chunk) {
                rc = fail(err, errlen, path, hdr_line, 0, "fewer bytes than length= says");
                break;
            }
            size_t used = capture_parse_wall(line + 2, &t);
            const char *len = strstr(line, "length=");
            if (!used) rc = fail(err, errlen, path, ln, 2, "a time YYYY/MM/DD HH:MM:SS.uuuuuu expected");
            else if (!len || (want = strtoul(len + 7, NULL, 10)) == 0 || want > CHUNK_MAX)
                rc = fail(err, errlen, path, ln, 0, "length=N (1..4096) expected");
            dir = line[0] == '>' ? CAP_TO_SLAVE : CAP_FROM_SLAVE;
            have = 0;
            hdr_line = ln;
            in_chunk = true;
        } else if (in_chunk && line[0] == ' ') {
            uint8_t extra[CHUNK_MAX];
            size_t got = hex_pairs(line, chunk + have, want - have);
            have += got;
            /* more pairs on the line than length= said: counted, not taken */
            capture_count(c, "socat octets beyond the chunk's length= (not imported)",
                          hex_pairs(line + 3 * got, extra, sizeof extra));
            if (have == want) {
                if (capture_add(c, t, dir, chunk, have, hdr_line) < 0)
                    rc = fail(err, errlen, path, ln, 0, "out of memory");
                in_chunk = false;
            }
        } else if (strncmp(line, "--", 2) == 0 || line[0] == '\n' || line[0] == '\r' || line[0] == '#') {
            if (in_chunk) rc = fail(err, errlen, path, ln, 0, "fewer bytes than length= says");
            else if (line[0] == '#') capture_count(c, "capture lines skipped: comments", 1);
            else if (line[0] != '-') capture_count(c, "capture lines skipped: blank", 1);
        } else {
            rc = fail(err, errlen, path, ln, 0, "a '> ' or '< ' header, hex bytes or '--' expected");
        }
    }
    fclose(f);
    if (rc == 0 && in_chunk) rc = fail(err, errlen, path, hdr_line, 0, "fewer bytes than length= says");
    if (rc == 0 && c->n == 0) rc = fail(err, errlen, path, ln, 0, "no data in the capture");
    if (rc == 0) capture_normalize(c);
    return rc;
}

/* ---- what `hil import auto` looks for (import_format.h) ---- */

/* "> 2019/04/03 19:00:42.123456 ...": a direction and a time. */
int import_detect_socat(const import_probe *p) {
    int64_t t;
    const char *l = p->first_line;
    return l && (*l == '>' || *l == '<') && l[1] == ' ' && capture_parse_wall(l + 2, &t) ? 3 : 0;
}
