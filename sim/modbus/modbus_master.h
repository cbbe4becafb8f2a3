/* modbus_master: a scripted Modbus master on the bench that reads the
 * gateway's Modbus server — a TCP client on the loopback, or an RTU master on
 * a pseudo-terminal the gateway serves on — and records every request, answer
 * and timeout in the trace (channel: the master's name; bus>gw = requests,
 * gw>bus = answers, note = timeouts and connections). Expectations read them
 * back (expect_modbus.h).
 *
 * One request at a time, as a master on a line does: a read that falls due
 * while another waits is sent after it (answer or timeout). Trace events:
 *   request  "fc=3 u=1 a=0 n=10"
 *   answer   "answer fc=3 u=1 a=0 n=10 tcp" | "exception 2 fc=3 u=1 a=0 n=10 rtu"
 *   timeout  "timeout fc=3 u=1 a=0 n=10"
 * The answer's bytes are the whole ADU (MBAP header, or unit + CRC). */
#ifndef SIM_MODBUS_MASTER_H
#define SIM_MODBUS_MASTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/loop.h"
#include "sim/modbus/modbus_plan.h"
#include "sim/core/pty_channel.h"
#include "sim/core/trace.h"
#include "sim/core/tx_pacer.h"

#define MBMA_QUEUE 32
#define MBMA_RX_CAP 600

typedef struct modbus_master {
    const mb_master_spec *spec;
    gw_loop *loop;
    trace *tr;
    int port;                 /* the gateway's server port (TCP) */
    /* TCP */
    int fd;
    iochan *io;
    bool connecting, connected;
    /* RTU */
    pty_channel pty;
    bool has_pty;
    tx_pacer pacer;           /* requests paced at the baud rate */
    int64_t byte_ns;
    /* steps */
    loop_timer_id *step_timers;  /* one per read step */
    long long *done;             /* repetitions sent per step */
    struct mbma_step_ref *refs;  /* timer arguments, one per step */
    size_t queue[MBMA_QUEUE];    /* steps due, waiting for the line */
    size_t n_queue;
    /* the request in flight */
    bool waiting;
    size_t current;
    uint16_t tid;
    char what[64];
    loop_timer_id timeout_timer, send_timer;
    uint8_t rx[MBMA_RX_CAP];
    size_t rx_len;
    /* observations */
    unsigned requests, answers, exceptions, timeouts;
} modbus_master;

/* RTU: open the pty now (its path goes into the gateway's configuration). */
int modbus_master_open(modbus_master *m, const mb_master_spec *spec, gw_loop *loop, trace *tr,
                       int port, char *err, size_t errlen);
/* Schedule the reads (times relative to tr->t0_ns). */
int modbus_master_start(modbus_master *m);
void modbus_master_close(modbus_master *m);
const char *modbus_master_pty(const modbus_master *m);
#endif
