/* air: the radio channel the bench's wireless M-Bus meters share.
 *
 * Physics (EN 13757-4): a transmission occupies its channel for its time on
 * air = (preamble and sync chips + bytes x chips per byte + postamble chips)
 * / chip rate, with the mode's coding: S1 Manchester (2 chips per bit,
 * 32.768 kcps, long preamble), T1 3-of-6 (12 chips per byte, 100 kcps),
 * C1 NRZ (8 chips per byte, 100 kcps). The bytes are the frame as sent:
 * format A or B with their block CRCs.
 *
 * Carrier: every transmission is one UDP datagram (mode, format, channel,
 * start, duration, RSSI, sender, bytes) from the meters' socket to the air's
 * socket, both counted under the iochan name "bench:air" so the time master
 * knows when every transmission has been taken in. The air hands each
 * datagram to its listeners (the radio modules), which decide what their
 * receiver catches (air_catch). */
#ifndef SIM_AIR_H
#define SIM_AIR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "core/iochan.h"
#include "core/loop.h"
#include "codec/wmbus/wmbus.h"

typedef enum { AIR_S1, AIR_T1, AIR_C1, AIR_N_MODES } air_mode;

typedef struct air_mode_info {
    const char *name;
    uint32_t chip_rate;       /* chips per second */
    unsigned chips_per_byte;  /* coding */
    unsigned header_chips;    /* preamble + synchronisation word */
    unsigned post_chips;      /* postamble */
    uint32_t channel_khz;     /* meter-to-other frequency */
    wmbus_format format;      /* usual frame format */
} air_mode_info;

const air_mode_info *air_mode_get(air_mode m);
/* "S1", "T1", "C1" (case-insensitive); -1 when unknown. */
int air_mode_parse(const char *name);
/* Time on air of n bytes (with CRCs) in mode m, in ns. */
int64_t air_time_ns(air_mode m, size_t n_bytes);

#define AIR_BYTES_MAX 320

typedef struct air_tx {
    uint8_t mode;             /* air_mode */
    uint8_t format;           /* wmbus_format the bytes are in */
    uint32_t channel_khz;
    int64_t start_ns, duration_ns;
    double rssi_dbm;          /* at the receiver */
    uint32_t sender;          /* meter index */
    uint8_t bytes[AIR_BYTES_MAX];
    size_t len;
} air_tx;

/* Datagram form (exposed for tests). Returns the length, 0 when cap is too small. */
size_t air_tx_encode(const air_tx *tx, uint8_t *out, size_t cap);
bool air_tx_decode(const uint8_t *in, size_t n, air_tx *tx);

/* Does transmission a overlap b in time (half-open intervals)? */
bool air_overlap(const air_tx *a, const air_tx *b);

typedef void (*air_listener)(void *arg, const air_tx *tx);

#define AIR_MAX_LISTENERS 8

typedef struct air {
    gw_loop *loop;
    int tx_fd, rx_fd;
    iochan *tx_ch, *rx_ch;
    struct sockaddr_in rx_addr;
    air_listener listeners[AIR_MAX_LISTENERS];
    void *listener_args[AIR_MAX_LISTENERS];
    size_t n_listeners;
    uint64_t sent, carried;
} air;

int air_open(air *a, gw_loop *loop, char *err, size_t errlen);
void air_close(air *a);
int air_add_listener(air *a, air_listener fn, void *arg);
/* Put a transmission on the air (it is read back and handed to the
 * listeners when the bench loop dispatches the air's socket). */
int air_transmit(air *a, const air_tx *tx);
#endif
