/* tx_pacer: writes the slaves' bytes to the gateway each at its own instant.
 *
 * A byte that starts on the wire at t is in the gateway's UART only when its
 * stop bit has passed, so it is written to the pty at t + 11 bit times, from a
 * loop timer. A burst (one answer, possibly several slaves merged) is traced
 * when its last byte is written, with the times it really took. */
#ifndef SIM_TX_PACER_H
#define SIM_TX_PACER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/iochan.h"
#include "core/loop.h"
#include "sim/core/trace.h"
#include "sim/core/wired_and.h"

#define TX_MAX_BURSTS 8

typedef struct tx_burst {
    wa_byte *bytes;     /* start time of each byte on the wire (monotonic ns) */
    size_t n, next;     /* next byte to write */
    int64_t first_write_ns, last_write_ns;
    uint8_t *written;   /* what was really written (for the trace) */
    char event[96];
} tx_burst;

typedef struct tx_pacer {
    gw_loop *loop;
    iochan *io;         /* counted: the time master compares what both sides saw */
    trace *tr;
    char ch[32];
    unsigned baud;
    int64_t byte_ns;
    tx_burst bursts[TX_MAX_BURSTS];
    size_t n_bursts;
    loop_timer_id timer;
    unsigned write_errors;
} tx_pacer;

void tx_pacer_init(tx_pacer *p, gw_loop *loop, iochan *io, trace *tr, const char *ch, unsigned baud);
/* Queue a burst; bytes[i].t_ns is when byte i starts on the wire. */
int tx_pacer_send(tx_pacer *p, const wa_byte *bytes, size_t n, const char *event);
bool tx_pacer_idle(const tx_pacer *p);
void tx_pacer_free(tx_pacer *p);
#endif
