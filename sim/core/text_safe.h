/* text_safe: verdict lines carry values that came from meters and captures
 * (a manufacturer-specific record's bytes, a foreign capture's text). Written
 * as they are, they may be invalid UTF-8 or control characters that break a
 * terminal, a log viewer or the JUnit XML of the harness. Valid UTF-8 is kept;
 * every other byte, and control characters but tab, become \xNN. */
#ifndef SIM_TEXT_SAFE_H
#define SIM_TEXT_SAFE_H
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s, 0 when it is not one (RFC 3629). */
#include <stddef.h>
size_t text_safe_utf8_len(const unsigned char *s);
/* Write s to out, escaped as above. */
void text_safe_fputs(const char *s, FILE *out);
#endif
