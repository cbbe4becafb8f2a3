/* bench_segment: an emulated wired M-Bus segment behind a pseudo-terminal.
 *
 * It reassembles the master's frames from the bytes the gateway writes (with
 * the codec's mbus_frame_needed / mbus_frame_parse), places them on the modelled
 * wire (n * 11 bit times from when they were read, after whatever is still on
 * the wire), hands each frame to every slave, and sends the answers back paced
 * at the baud rate, response_delay after the end of the request on the wire.
 * Answers of several slaves to one request are merged as a wired-AND of their
 * UART bit streams and re-framed as the master's UART reads them (mbus_line.h). */
#ifndef SIM_BENCH_SEGMENT_H
#define SIM_BENCH_SEGMENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/loop.h"
#include "sim/mbus/mbus_slave.h"
#include "sim/core/pty_channel.h"
#include "sim/core/trace.h"
#include "sim/core/tx_pacer.h"
#include "sim/core/wire.h"

#define SEG_RX_CAP (4 * MBUS_FRAME_MAX)
#define SEG_NOISE_MAX 8 /* noise bursts per segment */

/* A burst of random bytes on the line towards the master at a given instant. */
typedef struct seg_noise {
    int64_t at_ns;              /* monotonic (scenario time in virtual mode) */
    unsigned bytes;
    uint8_t *buf;               /* drawn at start, owned */
    bool merged;                /* went onto the line with an answer it overlapped */
} seg_noise;

typedef struct bench_segment {
    char name[32];
    unsigned baud;              /* the segment's baud rate (the slaves') */
    mbus_slave *slaves;
    size_t n_slaves;
    pty_channel pty;
    gw_loop *loop;
    trace *tr;
    wire line;
    tx_pacer pacer;
    /* reassembly of the master's frames */
    uint8_t rx[SEG_RX_CAP];
    int64_t rx_end[SEG_RX_CAP]; /* wire end of each byte (monotonic ns) */
    size_t rx_len;
    loop_timer_id rx_timer;
    bool watching;
    /* observations for expectations */
    unsigned frames;            /* complete master frames */
    unsigned baud_last;         /* baud the gateway had set at the last frame */
    unsigned baud_mismatches;   /* frames sent at another baud than the segment's */
    unsigned collisions;        /* requests answered by more than one slave */
    /* bench faults */
    bool echo;                  /* the level converter repeats every master byte */
    int64_t short_from_ns, short_to_ns; /* line shorted: no answers (to > from) */
    unsigned shorted;           /* frames that met the short circuit */
    /* a wake-up sequence: 0x55 bytes back to back between frames */
    int64_t wake_start_ns, wake_end_ns;
    size_t wake_bytes;
    seg_noise noise[SEG_NOISE_MAX]; /* in time order */
    size_t n_noise, noise_next;
    loop_timer_id noise_timer;
} bench_segment;

/* Create a segment with its pty; NULL and err on failure. */
bench_segment *bench_segment_new(const char *name, unsigned baud, gw_loop *loop, trace *tr,
                               char *err, size_t errlen);
/* Add a slave (initialised, to be configured by the caller); NULL on no memory. */
mbus_slave *bench_segment_add_slave(bench_segment *seg);
/* Start listening to the gateway. */
int bench_segment_start(bench_segment *seg);
const char *bench_segment_path(const bench_segment *seg);
void bench_segment_free(bench_segment *seg);

/* Feed bytes read from the gateway at monotonic time now (what the fd callback
 * does; exposed for tests). */
void bench_segment_input(bench_segment *seg, const uint8_t *bytes, size_t n, int64_t now,
                        unsigned gateway_baud);
/* A short human description of a frame ("REQ_UD2 a=5 fcb=1"). */
void bench_segment_describe(const mbus_frame *f, char *out, size_t cap);
#endif
