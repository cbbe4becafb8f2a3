/* scan: the secondary-address search (wildcard tree search) as a pure
 * state machine: it proposes select masks, the caller probes the bus and tells
 * the outcome. No I/O, no clock; the meter search (search.c) and the scan
 * unit tests (gateway/tests/test_mbus_scan.c) drive the same code.
 *
 * A mask is an mbus_secondary (codec/mbus/mbus_secondary.h) whose F nibbles
 * are wildcards; positions count as its text "IIIIIIIIMMMMVVDD" shows them. The
 * search:
 *   1. probes the base mask itself (a segment with 0 or 1 meter is done at once);
 *   2. on a collision it splits the first wildcard position: id digits take the
 *      values 0-9, the other positions 0-E (F cannot be selected exactly: it is
 *      the wildcard), in forward (0..9) or reverse (9..0) order, depth first;
 *   3. the id digits are split before manufacturer, version and medium, which
 *      are only searched when meters share all 8 id digits;
 *   4. when every sibling but the last was silent, the last one must hold the
 *      parent's collision: it is descended into without a probe;
 *   5. when the last two finished siblings each held MBUS_SCAN_DENSE meters or
 *      more, the next one is expected to collide too: it is descended into
 *      without a probe (rule 4 is then off inside it, as nothing proves it
 *      holds a meter at all).
 * The caller decides what a "collision" is (it should retry a garbled answer
 * once to tell a collision from line noise, see docs/mbus.md). */
#ifndef GW_MBUS_SCAN_H
#define GW_MBUS_SCAN_H
#include <stdbool.h>
#include <stddef.h>

#include "codec/mbus/mbus_secondary.h"

#define MBUS_SCAN_DENSE 8

typedef enum {
    MBUS_PROBE_NONE,      /* no answer: no meter matches */
    MBUS_PROBE_SINGLE,    /* one clean answer: exactly one meter matches */
    MBUS_PROBE_COLLISION, /* a garbled answer: at least two meters match */
} mbus_probe_outcome;

typedef struct mbus_scan_frame {
    mbus_secondary mask;
    int pos;          /* the position being split */
    int next;         /* index of the next value to try (0 .. n_values) */
    bool answered;    /* a child answered (single or collision) */
    bool proven;      /* it was seen (or inferred) to hold two or more meters */
    unsigned found;   /* meters found below it so far */
    unsigned last_child[2]; /* meters below its last two finished children */
    int finished;     /* children finished */
} mbus_scan_frame;

typedef struct mbus_scan {
    mbus_secondary base;
    bool reverse;
    bool root_done;
    bool pending;              /* a probe was proposed and not yet answered */
    mbus_secondary probe;
    mbus_scan_frame stack[MBUS_SECONDARY_NIBBLES + 1];
    int depth;
    /* statistics */
    unsigned probes;           /* masks proposed */
    unsigned inferred;         /* collisions inferred without a probe */
    unsigned skipped;          /* dense siblings descended into without a probe */
    unsigned singles, collisions, unresolved;
} mbus_scan;

/* Start a search below base (NULL = everything). */
void mbus_scan_init(mbus_scan *s, const mbus_secondary *base, bool reverse);
/* The next mask to probe; false when the search is complete. */
bool mbus_scan_next(mbus_scan *s, mbus_secondary *mask);
/* The outcome of the last mask returned by mbus_scan_next. */
void mbus_scan_result(mbus_scan *s, mbus_probe_outcome outcome);
/* How far the search is, 0..99 (100 only when complete), estimated from the
 * first two split positions: the tree's size is unknown until it is walked. */
int mbus_scan_percent(const mbus_scan *s);
#endif
