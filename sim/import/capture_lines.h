/* capture_lines: the loop every line-based capture reader shares (one
 * telegram or frame a line: hex, rtl-wmbus, rtl_433, wmbusmeters, frames).
 *
 * A line the reader does not turn into a frame is never dropped silently:
 * blank lines, comments and every line a reader skips (with its reason) are
 * counted in the capture (capture_count), so the import summary and the
 * scenario header say how many lines of which kind were not imported. */
#ifndef SIM_CAPTURE_LINES_H
#define SIM_CAPTURE_LINES_H
#include <stddef.h>

#include "sim/import/capture.h"

/* One line (trimmed, not blank, not a comment; ln its number): 0 taken,
 * 1 skipped (*skip names why, e.g. "rtl_433 lines of other models"), -1 an
 * error ("file:line:col: what" in err, see capture_line_fail). */
typedef int (*capture_line_fn)(capture *c, const char *path, unsigned ln, const char *line, const char **skip,
                               char *err, size_t errlen);

/* Every line of path through fn; comment_chars the characters that start a
 * comment line ("#"); capture_normalize() at the end. 0, or -1 with err. */
int capture_read_lines(const char *path, capture *c, const char *comment_chars, capture_line_fn fn, char *err,
                       size_t errlen);

/* "path:line:col: what" into err (col counted from 0); returns -1. */
int capture_line_fail(char *err, size_t errlen, const char *path, unsigned line, size_t col, const char *what);

/* Hex digits of s[0..n) (an optional 0x prefix; blanks, '_' and '|' between
 * bytes allowed when loose) into out: the number of bytes, -1 when not hex. */
long capture_hex_bytes(const char *s, size_t n, bool loose, uint8_t *out, size_t cap);
/* A whole wired M-Bus long frame (68 L L 68 ... checksum 16), checksum right. */
bool capture_looks_wired(const uint8_t *b, size_t n);
/* After a reader counted c->wired_lines: a capture of only wired frames
 * becomes CAP_SERIAL (the answers of wired slaves, with a NOTE); wired frames
 * among radio telegrams are an error naming the first one's line. */
int capture_route_wired(capture *c, const char *path, char *err, size_t errlen);
#endif
