/* expect_kinds: the table of expectation kinds (see expect.h). A new kind is one
 * row here plus its parse and evaluate; the loader and the runner only look rows up. */
#include "sim/expect/expect.h"
#include <stdio.h>
#include <string.h>

/* In the order the unknown-kind message lists them. */
static const ex_kind_row kinds[] = {
    {"value", EX_VALUE, expect_parse_value, expect_eval_dump},
    {"meter", EX_METER, expect_parse_meter, expect_eval_dump},
    {"points", EX_POINTS, expect_parse_points, expect_eval_dump},
    {"store", EX_STORE, expect_parse_store, expect_eval_store},
    {"report", EX_REPORT, expect_parse_report, expect_eval_report},
    {"timing", EX_TIMING, expect_parse_timing, expect_eval_trace},
    {"requests", EX_REQUESTS, expect_parse_requests, expect_eval_trace},
    {"baud", EX_BAUD, expect_parse_baud, expect_eval_trace},
    {"iec104", EX_IEC104, expect_parse_iec104, expect_eval_iec104},
    {"modbus", EX_MODBUS, expect_parse_modbus, expect_eval_modbus},
    {"mbus_tcp", EX_MBUS_TCP, expect_parse_mbus_tcp, expect_eval_mbus_tcp},
};

const ex_kind_row *expect_kind_find(const char *name) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

const char *expect_kind_name(ex_kind kind) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind) return kinds[i].name;
    return "?";
}

void expect_kind_names(char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", kinds[i].name);
}
