/* iec104_script: the `plant: iec104:` part of a scenario — scripted IEC 104
 * masters (see docs/iec104.md, "Bench"). Each master runs its steps at their
 * scenario times: connect, STARTDT, GI, CI, clock sync, read, commands, raw
 * ASDUs, silence (no acks / no TESTFR answers) to provoke t1 and t3, STOPDT,
 * disconnect, reconnect storms. */
#ifndef SIM_IEC104_SCRIPT_H
#define SIM_IEC104_SCRIPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/config.h"

typedef enum {
    IS_CONNECT, IS_DISCONNECT, IS_STARTDT, IS_STOPDT, IS_TESTFR, IS_GI, IS_CI, IS_CLOCK_SYNC,
    IS_READ, IS_COMMAND, IS_RAW, IS_ACK, IS_ANSWER_TESTFR, IS_STORM,
} iec104_step_kind;

typedef struct iec104_step {
    iec104_step_kind kind;
    int64_t at_ns;          /* scenario time */
    const cfg_node *node;
    /* parameters (those the kind uses) */
    int type;               /* command type */
    uint32_t ioa;
    int value;              /* command state, QOI, QCC */
    int cot;                /* act / deact */
    int ca;                 /* -1: the master's */
    bool select;
    int64_t age_ns;         /* time tag = now - age (negative: ahead) */
    int64_t offset_ns;      /* clock sync: the master's time = gateway time + offset */
    bool enabled;           /* ack / answer_testfr */
    uint8_t raw[256];       /* raw ASDU */
    size_t raw_len;
    int64_t retry_ns;       /* connect: retry this often until connected (0 = once) */
    int count;              /* storm: connections */
    int64_t every_ns;       /* storm: period */
} iec104_step;

typedef struct iec104_master_spec {
    const char *name;
    int ca;                 /* common address the master uses (default 1) */
    int w;                  /* acknowledge after w I frames (default 8) */
    int64_t t2_ns;          /* ... or after t2 (default 10 s) */
    iec104_step *steps;
    size_t n_steps;
} iec104_master_spec;

typedef struct iec104_plan {
    iec104_master_spec *masters;
    size_t n_masters;
} iec104_plan;

/* Parse `plant: iec104:` ({masters: [...]}). NULL + err on error. */
iec104_plan *iec104_plan_parse(const cfg_node *node, cfg_err *err);
void iec104_plan_free(iec104_plan *plan);
#endif
