/* dlms_bench: the DLMS part of a scenario's plant (plant: dlms:), one HPLC
 * network per item, so the runner needs only a few calls. */
#ifndef SIM_DLMS_BENCH_H
#define SIM_DLMS_BENCH_H
#include <stddef.h>

#include "sim/core/gwconfig.h"
#include "sim/dlms/hplc_net.h"
#include "core/loop.h"
#include "sim/core/trace.h"

typedef struct dlms_bench dlms_bench;

/* Parse `plant: dlms:` (a sequence) into specs; false with err. */
bool dlms_bench_parse(const cfg_node *seq, const scenario_paths *paths, hplc_net_spec **specs, size_t *n,
                      cfg_err *err);
void dlms_bench_specs_free(hplc_net_spec *specs, size_t n);

dlms_bench *dlms_bench_new(const hplc_net_spec *specs, size_t n, gw_loop *loop, trace *tr,
                           char *err, size_t errlen);
/* Substitutions ${port:<net>} and ${port:<net>:gw}: writes 2 per network into
 * out, returns how many. */
size_t dlms_bench_vars(const dlms_bench *b, subst_var *out);
int dlms_bench_start(dlms_bench *b);
/* <workdir>/dlms_<net>.json per network (make bench reads them). */
void dlms_bench_write_stats(const dlms_bench *b, const char *workdir);
void dlms_bench_free(dlms_bench *b); /* NULL is fine */
#endif
