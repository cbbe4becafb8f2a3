/* text_file: replace a file whole or not at all.
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

#endif
