/* dlms_quirks: what real DLMS/COSEM meters do beside the standard, switchable per
 * emulated meter (a `quirks:` map in the meter fixture, in a `plant: dlms:` network
 * or in one of its `node:` entries, each overriding the one before). The emulator
 * (dlms_meter.c) applies them; docs/dlms.md lists what the gateway does about each. */
#ifndef SIM_DLMS_QUIRKS_H
#define SIM_DLMS_QUIRKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

#define DLMS_QUIRK_MAX_OBJECTS 8

typedef struct dlms_quirks {
    size_t trailing_bytes;     /* zero bytes after every GET response APDU */
    bool repeat_boundary_rows; /* profile block transfers: each block after the first starts
                                  with the last entry of the block before (the declared count
                                  stays that of the distinct entries) */
    bool empty_last_block;     /* the last data block is not marked last; the GET-next after it
                                  gets an empty last block repeating that block's number */
    int event_burst;           /* event log: entries per instant (first the usual code 1 or 2,
                                  then 128, 129, ...): several events in one second */
    uint8_t malformed[DLMS_QUIRK_MAX_OBJECTS][6]; /* objects whose value (attribute 2) is
                                  answered with an undecodable element */
    size_t n_malformed;
} dlms_quirks;

/* Overlay the keys present in map (a `quirks:` map) on q. */
bool dlms_quirks_parse(const cfg_node *map, dlms_quirks *q, cfg_err *err);
bool dlms_quirks_malformed(const dlms_quirks *q, const uint8_t obis[6]);
#endif
