/* vmbus_telegram: the RSP_UD a virtual meter answers with, from the latest
 * values of its points in the datahub: a long header (CI 0x72: the meter's
 * secondary address, an access number, a status byte) and its records in
 * first-publish order (vmbus_record.h). What does not fit one telegram goes
 * to the next page, each page but the last ending with DIF 0x1F ("more
 * records follow"), as a real meter sends them. */
#ifndef GW_VMBUS_TELEGRAM_H
#define GW_VMBUS_TELEGRAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_secondary.h"
#include "core/datahub.h"

/* Status byte bit 4 (EN 13757-3): temporary error. Set when the meter was not
 * read at its last attempt, or a value is invalid, not topical or older than
 * the value expiration. */
#define VMBUS_STATUS_TEMPORARY_ERROR 0x10

typedef struct vmbus_telegram_in {
    const datahub *hub;
    const char *meter;      /* the meter's name */
    mbus_secondary address; /* its secondary address (no wildcards) */
    uint8_t primary;        /* the A field of the answer */
    uint8_t access;         /* access number */
    int64_t now_wall_ns;
    int64_t expiration_ns;  /* 0: values never expire */
} vmbus_telegram_in;

/* Page `page` (0 = first) as a whole RSP_UD long frame; its length, or 0 when
 * there is no such page (the meter has fewer). *more: further pages follow. */
size_t vmbus_telegram_build(const vmbus_telegram_in *in, unsigned page, uint8_t *out, size_t cap,
                            bool *more);
/* The number of records the meter's points give (for the log and tests). */
size_t vmbus_telegram_records(const datahub *hub, const char *meter);
#endif
