/* im871a_emu: an emulated IMST iM871A radio module on a pseudo-terminal.
 *
 * Host side: the HCI protocol (gateway/codec/wmbus/im871a.h) at the module's
 * baud, 8N1 (10 bits per byte): PING, SET_CONFIG (link mode, RSSI and
 * timestamp attachment, temporary or saved), GET_CONFIG, RESET, GET_DEVICEINFO,
 * GET_FWINFO. Requests are answered after they have crossed the line plus a
 * processing time; everything the module sends queues on its UART and is
 * written when its last stop bit would have left (whole frames, in order).
 *
 * Radio side: it listens to the air (air.h) on its link mode's channel and
 * catches a transmission when, at its end, the module is alive, its link
 * mode hears the transmission's mode, the signal is above the sensitivity,
 * and every other transmission overlapping it on the channel is weaker by
 * at least the capture threshold. What it catches goes to the host as
 * WMBUSMSG_IND: the frame without L and CRCs, RSSI and timestamp (1 ms
 * ticks since power-up) when configured, CRC16 always.
 *
 * Faults: dead windows (no answers, nothing received; it comes back as after
 * a power cycle: the saved configuration, by default S1 without RSSI) and
 * spontaneous resets (the same without the outage). */
#ifndef SIM_IM871A_EMU_H
#define SIM_IM871A_EMU_H
#include <stdbool.h>
#include <stdint.h>
#include "sim/wmbus/air.h"
#include "codec/wmbus/im871a.h"
#include "core/loop.h"
#include "sim/core/pty_channel.h"
#include "sim/core/trace.h"

#define EMU_MAX_FAULTS 8

typedef struct im871a_spec {
    char name[32];
    unsigned baud;
    int default_mode;          /* link mode after power-up (IM_MODE_*) */
    double capture_db;         /* capture threshold */
    double sensitivity_dbm;
    int64_t dead_at[EMU_MAX_FAULTS], dead_for[EMU_MAX_FAULTS];
    size_t n_dead;
    int64_t reset_at[EMU_MAX_FAULTS];
    size_t n_resets;
} im871a_spec;

typedef struct emu_out {
    uint8_t bytes[IM_FRAME_MAX];
    size_t len;
    int64_t at_ns;             /* when its last byte has left the UART */
} emu_out;

typedef struct onair_entry {
    air_tx tx;
    bool resolved;
} onair_entry;

typedef struct im871a_stats {
    uint64_t heard_attempts;   /* transmissions on the module's channel that ended */
    uint64_t caught;           /* delivered to the host */
    uint64_t collided, other_mode, too_weak, while_dead;
    uint64_t crc_errors;       /* of collided: frames whose CRCs or length were wrong */
    uint64_t requests, baud_mismatches;
} im871a_stats;

typedef struct im871a_emu {
    const im871a_spec *spec;
    gw_loop *loop;
    trace *tr;
    pty_channel pty;
    bool alive;
    int64_t power_on_ns;
    im_config cfg, saved;
    uint8_t rx[1024];          /* host → module bytes */
    size_t rx_len;
    int64_t line_free_ns;      /* host → module line: end of the last byte read */
    int64_t uart_free_ns;      /* module → host line */
    emu_out *out;              /* queued frames, in order */
    size_t n_out, cap_out;
    loop_timer_id out_timer;
    emu_out *req;              /* requests read, waiting until they take effect */
    size_t n_req, cap_req;
    onair_entry *onair;        /* transmissions on the channel, kept while they matter */
    size_t n_onair, cap_onair;
    im871a_stats stats;
    unsigned baud_seen;
} im871a_emu;

int im871a_emu_open(im871a_emu *e, const im871a_spec *spec, gw_loop *loop, trace *tr,
                    char *err, size_t errlen);
/* Start listening to the host and to the air; schedule the faults. */
int im871a_emu_start(im871a_emu *e, air *a);
void im871a_emu_close(im871a_emu *e);
const char *im871a_emu_path(const im871a_emu *e);
/* Does a receiver in link mode `mode` demodulate transmissions of air mode m? */
bool im871a_mode_hears(int mode, air_mode m);
#endif
