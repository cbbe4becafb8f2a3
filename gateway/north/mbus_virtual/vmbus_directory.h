/* vmbus_directory: the meters the virtual segment offers, learnt from the
 * datahub's meter updates, with their addresses on the virtual segment:
 *   secondary  the configured one; else the meter's own (as read: id,
 *              manufacturer, version, medium); else, for meters of other
 *              protocols, an 8-digit serial with manufacturer, version and
 *              medium. A meter with none is not offered (logged once).
 *   primary    the configured one; else (primary_addresses: as_read) a wired
 *              M-Bus meter's own, unless an earlier meter holds it (then it
 *              is reached by its secondary address only, logged).
 * Entries are never removed, so their indexes stay put. */
#ifndef GW_VMBUS_DIRECTORY_H
#define GW_VMBUS_DIRECTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/datahub.h"
#include "north/mbus_virtual/vmbus_config.h"

typedef struct vmbus_entry {
    char *name;
    int primary;          /* -1: none */
    bool has_secondary;
    mbus_secondary secondary;
    uint8_t access;       /* access number of its next answer */
    bool warned;
} vmbus_entry;

typedef struct vmbus_directory {
    const vmbus_config *cfg;
    vmbus_entry *entries;
    size_t n, cap;
} vmbus_directory;

void vmbus_directory_init(vmbus_directory *d, const vmbus_config *cfg);
void vmbus_directory_free(vmbus_directory *d);
/* A meter update from the datahub (meters of protocols not offered are ignored). */
void vmbus_directory_meter(vmbus_directory *d, const dh_meter *m);
#endif
