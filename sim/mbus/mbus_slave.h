/* mbus_slave: one emulated wired M-Bus slave, as a pure state machine.
 *
 * It sees every frame the master sends on its segment and decides whether it
 * answers and with what: E5 to SND_NKE and to a matching secondary select,
 * an RSP_UD page to REQ_UD2. Multi-telegram readout follows the FCB rule: the
 * first REQ_UD2 after a reset gets page 0; a toggled FCB (FCV set) advances to
 * the next page (wrapping); the same FCB repeats the last page (a master's retry).
 * Faults make it silent, late, unreliable or send bad checksums.
 * No I/O and no clock here: the segment (bench_segment.c) does the timing. */
#ifndef SIM_MBUS_SLAVE_H
#define SIM_MBUS_SLAVE_H
#include <stdbool.h>
#include <stdint.h>
#include "sim/core/hexfile.h"
#include "codec/mbus/mbus_link.h"

typedef struct mbus_slave_faults {
    bool silent;            /* never answers anything */
    unsigned answer_after;  /* ignores its first N requests (REQ_UD2) */
    unsigned answer_every;  /* answers only every Nth request (0/1 = all) */
    unsigned corrupt_first; /* the first N RSP_UD answers carry a wrong checksum */
    unsigned hang_first;    /* the first N RSP_UD answers stop halfway (the slave hangs) */
    unsigned wrong_length_first; /* the first N RSP_UD answers carry L one too small */
    int64_t wakeup_ns;      /* asleep until the master sent 0x55 for this long (0: awake) */
    int64_t awake_ns;       /* then awake this long after the sequence ended */
    int64_t added_ns;       /* on the bus from this instant (0: from the start) */
    int64_t removed_ns;     /* off the bus from this instant (0: never) */
} mbus_slave_faults;

typedef struct mbus_slave {
    /* configuration */
    int primary;                /* 0..250, or -1 when it has none */
    mbus_secondary secondary;   /* its concrete secondary address */
    telegram_list pages;        /* RSP_UD frames, owned */
    int64_t response_delay_ns;  /* after the end of the request on the wire */
    unsigned baud;              /* its own baud rate, or 0: the segment's */
    mbus_slave_faults faults;
    bool rotate;                /* each readout starts at the next page: values change over time */
    /* state */
    bool selected;
    int64_t awake_until_ns;     /* wakeup: hears frames that end before this */
    int page;                   /* index of the last page sent; -1 after reset */
    int last_fcb;               /* FCB of the last answered REQ_UD2; -1 after reset */
    unsigned requests;          /* REQ_UD2 addressed to it */
    unsigned answers;           /* RSP_UD sent */
    unsigned readouts;          /* readouts started (rotate) */
} mbus_slave;

/* What the slave does with one master frame. */
typedef enum { SLAVE_IGNORE, SLAVE_ACK, SLAVE_RSP } mbus_slave_action;

void mbus_slave_init(mbus_slave *s);
void mbus_slave_reset(mbus_slave *s);
void mbus_slave_free(mbus_slave *s);

/* Handle a frame from the master. When the slave answers, the answer's bytes
 * are written to out (cap >= MBUS_FRAME_MAX) and *out_len is set. */
mbus_slave_action mbus_slave_handle(mbus_slave *s, const mbus_frame *f, uint8_t *out,
                                    size_t cap, size_t *out_len);
#endif
