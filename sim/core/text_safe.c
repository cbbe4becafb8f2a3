/* text_safe: UTF-8-safe output of verdict text (text_safe.h). */
#include "sim/core/text_safe.h"
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, at most U+10FFFF), 0 when it is not one. */
size_t text_safe_utf8_len(const unsigned char *s) {
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4)) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))) return 0;
    if (n == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))) return 0;
    return n;
}

void text_safe_fputs(const char *s, FILE *out) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = text_safe_utf8_len(p);
        if (n == 0 || (n == 1 && ((*p < 0x20 && *p != '\t') || *p == 0x7F))) {
            fprintf(out, "\\x%02X", *p++);
            continue;
        }
        fwrite(p, 1, n, out);
        p += n;
    }
}
