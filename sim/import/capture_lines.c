/* capture_lines: the shared loop of the line-based readers (capture_lines.h). */
#include "sim/import/capture_lines.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 65536

int capture_line_fail(char *err, size_t errlen, const char *path, unsigned line, size_t col, const char *what) {
    snprintf(err, errlen, "%s:%u:%zu: %s", path, line, col + 1, what);
    return -1;
}

static int nibble(char ch) {
    return isdigit((unsigned char)ch) ? ch - '0' : tolower((unsigned char)ch) - 'a' + 10;
}

long capture_hex_bytes(const char *s, size_t n, bool loose, uint8_t *out, size_t cap) {
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2, n -= 2;
    size_t got = 0;
    for (size_t i = 0; i < n;) {
        if (loose && (s[i] == ' ' || s[i] == '\t' || s[i] == '_' || s[i] == '|')) {
            i++;
            continue;
        }
        if (i + 1 >= n || !isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]) || got == cap)
            return -1;
        out[got++] = (uint8_t)(nibble(s[i]) << 4 | nibble(s[i + 1]));
        i += 2;
    }
    return got ? (long)got : -1;
}

/* A line longer than the buffer is one line still: the rest is read and the
 * line is counted as too long, not cut into pieces that look like lines. */
static bool rest_of_long_line(FILE *f, char *line) {
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] == '\n' || feof(f)) return false;
    int ch;
    while ((ch = fgetc(f)) != EOF && ch != '\n') {}
    return true;
}

int capture_read_lines(const char *path, capture *c, const char *comment_chars, capture_line_fn fn, char *err,
                       size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return capture_line_fail(err, errlen, path, 0, 0, "cannot open the capture");
    char *line = malloc(LINE_MAX_LEN);
    unsigned ln = 0;
    int rc = line ? 0 : capture_line_fail(err, errlen, path, 0, 0, "out of memory");
    while (rc == 0 && fgets(line, LINE_MAX_LEN, f)) {
        ln++;
        if (rest_of_long_line(f, line)) {
            capture_count(c, "capture lines skipped: longer than 64 KiB", 1);
            continue;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        p[strcspn(p, "\r\n")] = '\0';
        if (*p == '\0') {
            capture_count(c, "capture lines skipped: blank", 1);
            continue;
        }
        if (strchr(comment_chars, *p)) {
            capture_count(c, "capture lines skipped: comments", 1);
            continue;
        }
        const char *skip = NULL;
        rc = fn(c, path, ln, p, &skip, err, errlen);
        if (rc == 1) {
            char what[200];
            snprintf(what, sizeof what, "capture lines skipped: %s", skip ? skip : "not understood");
            capture_count(c, what, 1);
            rc = 0;
        }
    }
    free(line);
    fclose(f);
    if (rc == 0 && c->n == 0) rc = capture_line_fail(err, errlen, path, ln, 0, "no telegram or frame in the capture");
    if (rc == 0) capture_normalize(c);
    return rc;
}

/* A wired M-Bus long frame (EN 13757-2: 68 L L 68, C A CI ..., checksum, 16)
 * has no place in a radio log: its L counts from C to the checksum, a radio
 * telegram's from C to its end, so the two cannot both fit. */
bool capture_looks_wired(const uint8_t *b, size_t n) {
    if (n < 9 || b[0] != 0x68 || b[3] != 0x68 || b[1] != b[2] || (size_t)b[1] + 6 != n || b[n - 1] != 0x16)
        return false;
    uint8_t sum = 0;
    for (size_t i = 4; i < n - 2; i++) sum = (uint8_t)(sum + b[i]);
    return sum == b[n - 2];
}

int capture_route_wired(capture *c, const char *path, char *err, size_t errlen) {
    if (c->wired_lines == 0) return 0;
    if (c->wired_lines == c->n) {
        /* all wired frames: an M-Bus line's answers, for the serial importer */
        c->kind = CAP_SERIAL;
        capture_note(c, "the %zu frames are wired M-Bus long frames (68 L L 68 ... checksum 16), not radio "
                        "telegrams: imported as the answers of M-Bus slaves on a wired segment", c->n);
        return 0;
    }
    size_t i = 0;
    while (i < c->n && !capture_looks_wired(c->frames[i].bytes, c->frames[i].len)) i++;
    return capture_line_fail(err, errlen, path, c->frames[i].line, 0,
                             "a wired M-Bus long frame (68 L L 68 ... checksum 16) among radio telegrams: import "
                             "wired frames on their own (a file of only wired frames goes to the M-Bus importer)");
}
