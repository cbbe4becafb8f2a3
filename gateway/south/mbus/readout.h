/* readout: read one wired M-Bus meter (internal to south/mbus): optional
 * wake-up sequence, reset (SND_NKE or application reset), the secondary select,
 * a global readout request, then REQ_UD2 pages with the FCB toggling until the
 * meter says no more records follow or max_pages is reached. Timeouts and bad
 * answers are retried; the meter is then published as read or not_read, and
 * its owner is told through hooks.
 *
 * A candidate of the meter search (a meter selected by a mask with wildcards,
 * not read yet) may be several meters answering in step: the readout then
 * confirms the address its first answer names with a select of it, and hands
 * garbled first answers and unconfirmed addresses to its owner. */
#ifndef GW_MBUS_READOUT_H
#define GW_MBUS_READOUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"
#include "codec/mbus/mbus_app.h"
#include "south/mbus/mbus_config.h"
#include "south/mbus/port.h"

typedef struct mbus_readout mbus_readout;

/* The owner of the meter being read; ctx is the one given to begin. */
typedef struct mbus_readout_hooks {
    /* The readout is over: the meter was read and published, or not read. */
    void (*done)(void *ctx, bool read);
    /* The first answer came, with this header. False: the owner ended the readout. */
    bool (*first_answer)(void *ctx, const mbus_header *hdr);
    /* Candidates: a garbled answer to the first REQ_UD2 (attempt 0 = first try).
     * True: the owner ended the readout. */
    bool (*garbled)(void *ctx, int attempt);
    /* Candidates: no meter answers a select of the address the first answer
     * named; mask is the one the candidate was selected by. The readout is over. */
    void (*phantom)(void *ctx, const mbus_secondary *mask);
} mbus_readout_hooks;

typedef struct mbus_readout_meter {
    const mbus_meter_cfg *cfg; /* must stay put until done */
    bool *fcb_clear;           /* its FCB memory across cycles (used without resets), or NULL */
    bool candidate;            /* a search candidate (see above) */
    bool selected;             /* already selected by the probe that found it: the
                                  wake-up, reset and select are left out */
} mbus_readout_meter;

typedef struct mbus_readout_stats {
    uint64_t rejected; /* bad or undecodable answers */
    uint64_t meters_read;
    uint64_t meters_not_read;
} mbus_readout_stats;

/* cfg, port, hub and source must outlive the readout. NULL when out of memory. */
mbus_readout *mbus_readout_new(const mbus_segment_cfg *cfg, mbus_port *port, datahub *hub,
                               const char *source);
void mbus_readout_free(mbus_readout *r); /* NULL is fine */

void mbus_readout_begin(mbus_readout *r, const mbus_readout_meter *meter,
                        const mbus_readout_hooks *hooks, void *ctx);
/* The FCB of the request answered last (a duplicate's known meter goes on from it). */
bool mbus_readout_fcb(const mbus_readout *r);
void mbus_readout_get_stats(const mbus_readout *r, mbus_readout_stats *out);
#endif
