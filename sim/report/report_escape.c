/* report_escape: HTML and JSON-in-HTML text of untrusted strings (report_escape.h). */
#include "sim/report/report_escape.h"
#include <string.h>
#include "sim/core/text_safe.h"

/* The valid UTF-8 sequence at p of at most left bytes, or 0 for a byte to escape. */
static size_t keep_len(const unsigned char *p, size_t left) {
    if (*p == '\t') return 1;
    if (*p < 0x20 || *p == 0x7F) return 0;
    unsigned char buf[5] = {0};
    memcpy(buf, p, left < 4 ? left : 4); /* the sequence must not run past n */
    return text_safe_utf8_len(buf);
}

static void html_char(FILE *out, unsigned char c) {
    switch (c) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default: fputc(c, out);
    }
}

void report_html_text(FILE *out, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        size_t n = keep_len(p, left);
        if (n == 0) fprintf(out, "\\x%02X", *p);
        else if (n == 1) html_char(out, *p);
        else fwrite(p, 1, n, out);
        n = n ? n : 1;
        p += n;
        left -= n;
    }
}

static void json_char(FILE *out, unsigned char c) {
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\t': fputs("\\t", out); break;
    case '<': fputs("\\u003c", out); break;
    case '>': fputs("\\u003e", out); break;
    case '&': fputs("\\u0026", out); break;
    default: fputc(c, out);
    }
}

void report_json_bytes(FILE *out, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    while (len) {
        size_t n = keep_len(p, len);
        if (n == 0) fprintf(out, "\\\\x%02X", *p); /* the text \xNN, as in the verdict lines */
        else if (n == 1) json_char(out, *p);
        else fwrite(p, 1, n, out);
        n = n ? n : 1;
        p += n;
        len -= n;
    }
}

void report_json_text(FILE *out, const char *s) {
    report_json_bytes(out, s, strlen(s));
}
