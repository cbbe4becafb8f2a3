/* search: the meter search of one wired M-Bus segment (internal to
 * south/mbus, docs/mbus.md): a primary scan over an address range and/or the
 * secondary wildcard tree search (scan.h) on the line, at start-up, every
 * scan.every and on demand (SIGUSR1). It owns the meters it finds.
 *
 * A probe's clean E5 leaves the meter it found selected: the search reads it
 * at once through the readout (readout.h), which saves the select of its first
 * readout. A meter found by a mask with wildcards stays a candidate until its
 * first answer names its address (it is then "pinned" to it); a candidate that
 * turns out to be several meters answering in step is dropped and searched
 * below its mask. The segment reads the found meters after the configured ones
 * and hands their first answers and garbled answers to the search. */
#ifndef GW_MBUS_SEARCH_H
#define GW_MBUS_SEARCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "south/mbus/mbus_config.h"
#include "south/mbus/mbus_scan_report.h"
#include "south/mbus/port.h"
#include "south/mbus/readout.h"

typedef struct mbus_search mbus_search;

/* The segment's side: a search it started (or one the search started below a
 * candidate) is over; the readout cycle goes on. */
typedef struct mbus_search_progress {
    const char *kind;  /* "secondary", "primary" or "both" */
    unsigned probes;   /* probes sent so far (retries not counted) */
    size_t found;      /* meters found so far */
    int percent;       /* 0..100 (secondary: an estimate, scan.h) */
    bool done;
} mbus_search_progress;

typedef struct mbus_search_hooks {
    void (*over)(void *ctx);
    /* Optional: at the start, after each probe and at the end of a scan. */
    void (*progress)(void *ctx, const mbus_search_progress *p);
    /* Optional: a meter found by a scan showed its address (m->hdr is its
     * first answer; for a primary scan, the probe's answer). */
    void (*found)(void *ctx, const mbus_found_meter *m);
} mbus_search_hooks;

/* cfg, port, readout and cfg_fcb_clear (the configured meters' FCB memory:
 * a found meter that is one of them hands its FCB state over) must outlive
 * the search. NULL when out of memory. */
mbus_search *mbus_search_new(const mbus_segment_cfg *cfg, mbus_port *port, mbus_readout *readout,
                             bool *cfg_fcb_clear, const mbus_search_hooks *hooks, void *ctx);
void mbus_search_free(mbus_search *s); /* NULL is fine */

/* Scan at the start of the next cycle (SIGUSR1). */
void mbus_search_request(mbus_search *s);
/* The same with a mode of its own (an API request: secondary or primary),
 * also on a segment without a scan configured (then over the whole address
 * space: every secondary address, primary 0-250). */
void mbus_search_request_mode(mbus_search *s, mbus_scan_mode mode);
/* A scan is running now. */
bool mbus_search_busy(const mbus_search *s);
/* A readout cycle starts: true when a scan is due and has started (the cycle
 * goes on when hook `over` says so). */
bool mbus_search_cycle_starts(mbus_search *s, int64_t now_ns);
/* A readout cycle is over: the commission report after the cycle that followed a scan. */
void mbus_search_cycle_end(mbus_search *s, int64_t wall_ns);

/* The found meters, numbered from 0; a dropped meter's successors move down. */
size_t mbus_search_n_found(const mbus_search *s);
/* How found meter k is read in the cycle. */
mbus_readout_meter mbus_search_meter(mbus_search *s, size_t k);
/* Was found meter k read by the scan of this cycle already? (then the cycle
 * skips it once: the answer is cleared) */
bool mbus_search_take_read_in_scan(mbus_search *s, size_t k);

/* The readout hooks of found meter k, while the cycle reads it. */
/* Its first answer: the meter is pinned to the address it shows. False: that
 * address belongs to a meter already known, and k was dropped. */
bool mbus_search_first_answer(mbus_search *s, size_t k, const mbus_header *hdr);
/* A garbled answer to a candidate's first REQ_UD2. True: taken for several
 * meters in step: k was dropped and a search below its mask started. */
bool mbus_search_garbled(mbus_search *s, size_t k, int attempt);
/* Nobody confirmed the address candidate k named: k is dropped and a search
 * below mask started. */
void mbus_search_phantom(mbus_search *s, size_t k, const mbus_secondary *mask);
#endif
