/* mbus_tcp_master: the bench's M-Bus masters over TCP (plant: mbus_tcp:), for
 * the gateway's Virtual and Transparent M-Bus (docs/mbus.md, "Bench").
 *
 * Written from EN 13757-2 (FT1.2 frames, FCB/FCV, E5) and EN 13757-3
 * (secondary selection with CI 0x52 and wildcard nibbles), independently of
 * the gateway's master: the codec only takes frames apart.
 *
 *   scan: secondary  a wildcard tree search from FFFFFFFFFFFFFFFF: a select
 *                    nobody acknowledges ends a branch; an acknowledged
 *                    select is followed by REQ_UD2 to 0xFD: a valid RSP_UD
 *                    names the one meter of the branch, a garbled answer (or
 *                    garbled E5s) means several, and the search descends one
 *                    id digit (0..9). Then each meter found is selected by its
 *                    full address and read, every page (FCB toggled) until
 *                    no "more records follow".
 *   read: N          SND_NKE to N, then REQ_UD2 pages to N.
 *   close: true      the master closes its connection.
 * Steps run in order, each not before its `at`; the connection opens with the
 * first. Every frame both ways is traced on channel "mbus_tcp:<name>" (dir
 * bus>gw = from the master, gw>bus = from the gateway), with notes such as
 * "found 12345678A7040E16" and "scan done: 3 meters". Bytes go through
 * iochan ("tcp:<port>:<client port>") for virtual time. */
#ifndef SIM_MBUS_TCP_MASTER_H
#define SIM_MBUS_TCP_MASTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/loop.h"
#include "sim/core/gwconfig.h"
#include "sim/core/trace.h"

typedef enum { MT_SCAN, MT_READ, MT_CLOSE } mt_step_kind;

typedef struct mt_step {
    int64_t at_ns;
    mt_step_kind kind;
    int primary; /* MT_READ */
} mt_step;

typedef struct mt_master_spec {
    char *name;
    char *port;         /* the name of its port variable: ${port:<port>} */
    int64_t timeout_ns; /* for an answer to begin and end */
    int max_pages;
    mt_step *steps;
    size_t n_steps;
} mt_master_spec;

typedef struct mbus_tcp_plan {
    mt_master_spec *masters;
    size_t n;
} mbus_tcp_plan;

/* plant: mbus_tcp: {masters: [{name, port, timeout, max_pages, steps: [...]}]} */
mbus_tcp_plan *mbus_tcp_plan_parse(const cfg_node *node, cfg_err *err);
void mbus_tcp_plan_free(mbus_tcp_plan *p);

typedef struct mbus_tcp_bench mbus_tcp_bench;
/* Choose a free loopback port per port name. */
mbus_tcp_bench *mbus_tcp_bench_new(const mbus_tcp_plan *plan, gw_loop *loop, trace *tr, char *err,
                                   size_t errlen);
size_t mbus_tcp_bench_n_vars(const mbus_tcp_plan *plan);
/* "port:<name>" variables for the gateway's configuration; returns how many. */
size_t mbus_tcp_bench_vars(mbus_tcp_bench *b, subst_var *out, size_t cap);
/* Schedule the masters' steps (times relative to tr->t0_ns). */
int mbus_tcp_bench_start(mbus_tcp_bench *b);
void mbus_tcp_bench_free(mbus_tcp_bench *b);
#endif
