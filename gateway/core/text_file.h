/* text_file: replace a file whole or not at all, and read one whole.
 *
 * body writes PATH.tmp, which is flushed (and with durable, synced to disk) and
 * renamed over path, so a reader never sees half a file: reports, the datahub
 * dump, the commission report, the wireless M-Bus listen list. */
#ifndef GW_TEXT_FILE_H
#define GW_TEXT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef void (*text_file_body)(FILE *f, const void *arg);

/* false with err set ("path: why") and errno kept; PATH.tmp is removed then. */
bool text_file_replace(const char *path, text_file_body body, const void *arg, bool durable,
                       char *err, size_t errlen);

/* The whole file in memory, NUL-terminated (configurations and dumps are small);
 * *len is its length without the NUL. NULL with errno set when it cannot be read. */
char *text_file_read(const char *path, size_t *len);

#endif
