/* json_write: see json_write.h for why the escaping goes beyond JSON's. */
#include "core/json_write.h"

#include <math.h>
#include <stdbool.h>

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0. */
static int utf8_sequence(const unsigned char *s, uint32_t *cp) {
    int len;
    uint32_t c = s[0], min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, c &= 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, c &= 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* Characters YAML does not accept raw in a stream (and JSON's control characters). */
static bool needs_escape(uint32_t cp) {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0xFEFF ||
           cp == 0xFFFE || cp == 0xFFFF;
}

static void write_escaped(FILE *out, uint32_t cp) {
    switch (cp) {
    case '\n': fputs("\\n", out); return;
    case '\r': fputs("\\r", out); return;
    case '\t': fputs("\\t", out); return;
    case '\b': fputs("\\b", out); return;
    case '\f': fputs("\\f", out); return;
    default: fprintf(out, "\\u%04X", (unsigned)cp); return;
    }
}

void json_write_string(FILE *out, const char *s) {
    if (!s) {
        fputs("null", out);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        uint32_t cp;
        int len = utf8_sequence(p, &cp);
        if (len == 0) { /* not UTF-8: take the byte as Latin-1 */
            write_escaped(out, *p);
            p++;
            continue;
        }
        if (cp == '"' || cp == '\\') {
            fputc('\\', out);
            fputc((int)cp, out);
        } else if (needs_escape(cp)) {
            write_escaped(out, cp);
        } else {
            fwrite(p, 1, (size_t)len, out);
        }
        p += len;
    }
    fputc('"', out);
}

void json_write_hex(FILE *out, const uint8_t *bytes, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%02X", bytes[i]);
    fputc('"', out);
}

void json_write_double(FILE *out, double v) {
    if (isfinite(v))
        fprintf(out, "%.17g", v);
    else
        fputs("null", out);
}
