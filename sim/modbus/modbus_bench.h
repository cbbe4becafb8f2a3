/* modbus_bench: the Modbus part of a scenario's plant — its emulated meters
 * and scripted masters (modbus_plan.h) — as one object for the runner.
 *
 * Substitutions it provides for the gateway's configuration:
 *   ${port:modbus}  a free loopback port for the gateway's Modbus TCP server
 *                   (the masters connect there)
 *   ${port:<meter>} the port a TCP meter listens on
 *   ${<meter>}      the pty of an RTU meter (the gateway's client opens it)
 *   ${<master>}     the pty of an RTU master (the gateway's server opens it) */
#ifndef SIM_MODBUS_BENCH_H
#define SIM_MODBUS_BENCH_H
#include <stddef.h>
#include "sim/core/gwconfig.h"
#include "core/loop.h"
#include "sim/modbus/modbus_plan.h"
#include "sim/core/trace.h"

typedef struct modbus_bench modbus_bench;

/* Open the meters' sockets and ptys and the masters' ptys; choose the server port. */
modbus_bench *modbus_bench_new(const modbus_plan *plan, gw_loop *loop, trace *tr, char *err,
                               size_t errlen);
/* Number of substitution variables modbus_bench_vars can write (for sizing). */
size_t modbus_bench_n_vars(const modbus_plan *plan);
/* Write the substitution variables into out (cap entries); returns how many. */
size_t modbus_bench_vars(modbus_bench *b, subst_var *out, size_t cap);
/* Serve the meters and schedule the masters' reads. */
int modbus_bench_start(modbus_bench *b, char *err, size_t errlen);
void modbus_bench_free(modbus_bench *b);
#endif
