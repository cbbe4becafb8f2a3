/* modbus_meter: an emulated Modbus meter the gateway polls — a TCP server on
 * the loopback or an RTU slave behind a pseudo-terminal — serving the values
 * of its register map (modbus_plan.h), which may change with scenario time.
 *
 * Faults: slow answers (response_delay), silence (always or in a window of
 * scenario time), exceptions on chosen functions/addresses. Requests are
 * answered as a meter would: unmapped addresses → 02, counts of 0 or above
 * 125 registers / 2000 bits → 03, functions other than 1-4 → 01, other units
 * and broadcasts → no answer.
 *
 * Virtual time: bytes are counted through iochan (TCP "tcp:<port>:<client
 * port>", RTU the pty path), answers are written from loop timers. RTU models
 * the wire: a request occupies it n × (1 + 8 + parity + stop) bit times from
 * the moment it was read, the answer starts response_delay (default 3.5
 * characters) after its end and each byte is written when its stop bit ends.
 * Trace channel: the meter's name; gw>bus = requests, bus>gw = answers. */
#ifndef SIM_MODBUS_METER_H
#define SIM_MODBUS_METER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/loop.h"
#include "sim/modbus/modbus_plan.h"
#include "sim/core/pty_channel.h"
#include "sim/core/trace.h"
#include "sim/core/tx_pacer.h"

#define MBM_MAX_CONNS 8
#define MBM_RX_CAP 600

typedef struct mbm_conn {
    int fd;                   /* -1: free slot */
    iochan *io;
    unsigned generation;      /* answers queued for an older connection are dropped */
    uint8_t rx[MBM_RX_CAP];
    size_t len;
} mbm_conn;

typedef struct modbus_meter {
    const mb_meter_spec *spec;
    gw_loop *loop;
    trace *tr;
    int64_t t0_ns;            /* scenario start (values change from here) */
    /* TCP */
    int listen_fd;
    int port;
    char port_text[8];
    mbm_conn conns[MBM_MAX_CONNS];
    unsigned generation;
    /* RTU */
    pty_channel pty;
    bool has_pty;
    tx_pacer pacer;
    int64_t byte_ns;          /* one character on the line */
    int64_t line_busy_ns;
    uint8_t rx[MBM_RX_CAP];
    int64_t rx_end_ns;        /* wire end of the last byte received */
    size_t rx_len;
    bool resync;              /* an unknown frame: drop until silence */
    loop_timer_id rx_timer;
    /* answers waiting for their instant (TCP) */
    struct mbm_pending *pending;
    /* observations */
    unsigned requests, answers;
} modbus_meter;

/* Create the meter: the listening socket (port chosen by the kernel) or the pty. */
int modbus_meter_open(modbus_meter *m, const mb_meter_spec *spec, gw_loop *loop, trace *tr,
                      char *err, size_t errlen);
/* Start serving (watch the fds). */
int modbus_meter_start(modbus_meter *m);
void modbus_meter_close(modbus_meter *m);
/* What the gateway configures: the pty path (RTU) or the port (TCP, as text). */
const char *modbus_meter_address(const modbus_meter *m);

/* The meter's answer PDU to a request PDU at scenario time t_ns (pure; exposed
 * for tests). Returns its length, 0 for no answer; what describes the request. */
size_t modbus_meter_answer(const mb_meter_spec *spec, int64_t t_ns, int unit, const uint8_t *pdu,
                           size_t len, uint8_t *out);
/* "fc=3 u=1 a=0 n=2" for a request PDU. */
void modbus_describe_request(int unit, const uint8_t *pdu, size_t len, char *out, size_t cap);
#endif
