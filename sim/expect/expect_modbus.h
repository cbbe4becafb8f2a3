/* expect_modbus: expectations on what the bench's Modbus masters read from the
 * gateway's server and on what its Modbus meters were asked, from the trace
 * (docs/scenarios.md, "Modbus"):
 *   - modbus: {master: scada, unit: 1, bank: holding, address: 10, format: float32,
 *              byte_order: CDAB, equals: 54.321, tolerance: 0.001, after: 5s, before: 20s}
 *   - modbus: {master: scada, bank: holding, address: 500, exception: 2}
 *   - modbus: {master: scada, bank: input, address: 0, registers: "0x0001 0xFFFE"}
 *   - modbus: {master: scada, address: 0, timeout: true}
 *   - modbus: {meter: em1, function: 3, address: 0, count: 3}
 * A master expectation looks at the answers to requests whose range covers the
 * value (function/unit/time filters); without count/min/max the last of them
 * must hold, with them the number of those that hold must be in range. A meter
 * expectation counts the requests the meter received (covering address). */
#ifndef SIM_EXPECT_MODBUS_H
#define SIM_EXPECT_MODBUS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_node;
struct cfg_err;
struct expectation;
struct ex_context;

typedef struct ex_modbus {
    const char *master, *meter;   /* one of them */
    int function;                 /* -1: any */
    int unit;                     /* -1: any */
    long long address;            /* -1: any */
    int format, order;            /* mr_format / mr_order */
    bool has_equals, equals_nan;
    double equals, tolerance;
    uint16_t registers[125];
    size_t n_registers;           /* 0: not checked */
    int exception;                /* -1: an answer expected (not an exception) */
    bool timeout;                 /* no answer expected */
    bool counted;                 /* count/min/max given */
    int64_t after_ns, before_ns;
} ex_modbus;

bool expect_parse_modbus(const struct cfg_node *m, struct expectation *ex, struct cfg_err *err);
bool expect_eval_modbus(const struct expectation *ex, struct ex_context *ctx, char *msg, size_t cap);
#endif
