/* modbus_plan: the `plant: modbus:` part of a scenario (docs/scenarios.md,
 * "Modbus"): emulated Modbus meters the gateway polls (TCP on the loopback or
 * RTU on a pty, register maps from fixtures/modbus/ (YAML)) and scripted Modbus
 * masters that read the gateway's server.
 *
 *   modbus:
 *     meters:
 *       - {name: em1, tcp: true, unit_id: 1, map: fixtures/modbus/em.yaml,
 *          response_delay: 5ms, faults: {silent: false, silent_from: 30s,
 *          silent_until: 60s, exceptions: [{function: 3, address: 40, code: 4}]}}
 *       - {name: em2, rtu: {baud: 9600, parity: none, stop_bits: 1}, map: ...}
 *     masters:
 *       - name: scada
 *         tcp: true            # or rtu: {baud, parity, stop_bits}
 *         timeout: 1s
 *         reads:
 *           - {at: 5s, unit: 1, bank: holding, address: 0, count: 10, every: 10s, times: 3}
 *           - {at: 6s, unit: 1, function: 6, data: "00 00 00 01"}   # any PDU
 */
#ifndef SIM_MODBUS_PLAN_H
#define SIM_MODBUS_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/config.h"
#include "sim/modbus/modbus_regs.h"
#include "sim/scenario/scenario_path.h"

typedef enum { MB_BANK_COILS, MB_BANK_DISCRETE, MB_BANK_INPUT, MB_BANK_HOLDING } mb_bank;

/* Bank name → bank, and the read function code of a bank (1..4). */
bool mb_bank_parse(const char *name, mb_bank *out);
const char *mb_bank_name(mb_bank b);
uint8_t mb_bank_function(mb_bank b);

typedef struct mb_line {
    bool tcp;                  /* else RTU on a pty */
    unsigned baud;
    char parity;               /* 'N', 'E', 'O' */
    unsigned stop_bits;
} mb_line;

/* One value of a meter's register map; it changes linearly with scenario time. */
typedef struct mb_value {
    mb_bank bank;
    uint16_t address;
    mr_format format;
    mr_order order;
    double value;              /* at the scenario's start */
    double per_hour;           /* change per hour of scenario time */
} mb_value;

typedef struct mb_exception_rule {
    int function;              /* -1: any */
    long long address;         /* -1: any; else the request must include it */
    uint8_t code;
} mb_exception_rule;

typedef struct mb_meter_spec {
    const char *name;
    mb_line line;
    int unit_id;               /* -1: any (TCP only) */
    mb_value *values;
    size_t n_values;
    int64_t response_delay_ns;
    bool silent;
    int64_t silent_from_ns, silent_until_ns; /* a window of silence (scenario time) */
    mb_exception_rule *exceptions;
    size_t n_exceptions;
} mb_meter_spec;

typedef struct mb_read_step {
    int64_t at_ns, every_ns;
    long long times;           /* repetitions (every > 0) */
    uint8_t unit;
    uint8_t pdu[253];          /* function code + data */
    size_t pdu_len;
} mb_read_step;

typedef struct mb_master_spec {
    const char *name;
    mb_line line;
    int64_t timeout_ns;
    mb_read_step *reads;
    size_t n_reads;
} mb_master_spec;

typedef struct modbus_plan {
    mb_meter_spec *meters;
    size_t n_meters;
    mb_master_spec *masters;
    size_t n_masters;
    cfg_node **docs;           /* loaded map files (their strings are referenced) */
    size_t n_docs;
} modbus_plan;

/* Parse `plant: modbus:`; map paths as scenario_path.h resolves them. NULL and
 * err on error. */
modbus_plan *modbus_plan_parse(const cfg_node *node, const scenario_paths *paths, cfg_err *err);
void modbus_plan_free(modbus_plan *plan);
#endif
