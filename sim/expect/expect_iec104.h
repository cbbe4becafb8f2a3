/* expect_iec104: expectations on the APDUs the bench's IEC 104 masters
 * exchanged with the gateway, read back from the trace (docs/iec104.md):
 *   - iec104: {master: m1, type: M_ME_NC_1, cot: spont, ioa: 1001, value: 54.3,
 *              quality: 0, after: 10s, before: 12s, count: 1}
 * A frame matches when every given key matches; count/min/max bound how many
 * matched (information objects when an object key — ioa, value, quality,
 * time_tag — is given, else frames). */
#ifndef SIM_EXPECT_IEC104_H
#define SIM_EXPECT_IEC104_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_node;
struct cfg_err;
struct expectation;
struct ex_context;

typedef struct ex_iec104 {
    const char *master;   /* NULL: any */
    bool from_master;     /* frames the master sent (default: the gateway's) */
    const char *frame;    /* I, S, U names (STARTDT_CON ...), or a note: connected, closed, refused */
    int type, cot, ca;    /* -1: any */
    int negative;         /* -1 any, 0, 1 */
    long long ioa;        /* -1: any */
    bool has_value;
    double value, tolerance;
    int quality;          /* -1: any */
    const char *time_tag; /* valid | invalid | NULL */
    int64_t after_ns, before_ns;
    bool object_level;
} ex_iec104;

bool expect_parse_iec104(const struct cfg_node *m, struct expectation *ex, struct cfg_err *err);
bool expect_eval_iec104(const struct expectation *ex, struct ex_context *ctx, char *msg,
                        size_t cap);
#endif
