/* iec104_master: the bench's scripted IEC 104 masters — TCP clients on the
 * loopback that run a scenario's steps (iec104_script.h) against the
 * gateway, acknowledge like a real master (S frame after w I frames or t2),
 * answer TESTFR, and record every APDU with its time in the trace
 * (channel "iec104:<master>", dir gw>bus = from the gateway). Bytes are
 * counted through iochan ("tcp:<server port>:<client port>") for virtual time. */
#ifndef SIM_IEC104_MASTER_H
#define SIM_IEC104_MASTER_H
#include <stddef.h>
#include "sim/iec104/iec104_script.h"
#include "core/loop.h"
#include "sim/core/trace.h"

typedef struct iec104_bench iec104_bench;

/* A free TCP port on the loopback for the gateway to listen on, or -1. */
int iec104_bench_free_port(void);
/* Schedule every master's steps (times relative to tr->t0_ns). */
iec104_bench *iec104_bench_start(const iec104_plan *plan, gw_loop *loop, trace *tr, int port,
                                 char *err, size_t errlen);
void iec104_bench_free(iec104_bench *b);
#endif
