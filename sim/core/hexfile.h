/* hexfile: telegram fixtures as hex text, one telegram per line, `#` comments.
 * Bytes are pairs of hex digits, optionally separated by spaces. */
#ifndef SIM_HEXFILE_H
#define SIM_HEXFILE_H
#include <stddef.h>
#include <stdint.h>

typedef struct hex_frame {
    uint8_t *bytes;
    size_t len;
} hex_frame;

typedef struct telegram_list {
    hex_frame *items;
    size_t n;
} telegram_list;

/* Append the telegrams of a file to list. On error returns -1 and writes
 * "path:line:col: what is wrong" into err. */
int hexfile_load(const char *path, telegram_list *list, char *err, size_t errlen);
/* Parse text (the file's content); name is used in errors. */
int hexfile_parse(const char *text, const char *name, telegram_list *list, char *err,
                  size_t errlen);
int telegram_list_add(telegram_list *list, const uint8_t *bytes, size_t len);
void telegram_list_free(telegram_list *list);

/* Format bytes as "68 03 ..." into out (cap >= 3*len); returns out. */
char *hex_format(const uint8_t *bytes, size_t len, char *out, size_t cap);
/* Parse "68 03 03" / "680303" into out; returns the byte count or -1. */
long hex_parse(const char *text, uint8_t *out, size_t cap);
#endif
