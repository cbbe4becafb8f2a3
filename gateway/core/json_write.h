/* json_write: JSON string literals that libyaml (YAML 1.1) can read back.
 *
 * Besides JSON's own escapes, characters that YAML forbids in its input
 * (DEL, C1 controls, U+FEFF, U+FFFE/U+FFFF) are written as \uXXXX, and bytes
 * that are not valid UTF-8 are taken as Latin-1 and escaped, so any C string
 * becomes a valid document. */
#ifndef GW_JSON_WRITE_H
#define GW_JSON_WRITE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s as a quoted JSON string; NULL is written as null. */
void json_write_string(FILE *out, const char *s);
/* Write bytes as a quoted string of uppercase hex pairs without separators. */
void json_write_hex(FILE *out, const uint8_t *bytes, size_t len);
/* Write a double so that it reads back to the same value (%.17g); null when not finite. */
void json_write_double(FILE *out, double v);
#endif
