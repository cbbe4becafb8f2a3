/* dlms_meter: an emulated DLMS/COSEM meter (server) behind any transport.
 *
 * The object model comes from a fixture (YAML files under fixtures/dlms/): energy and
 * instantaneous registers that grow at a set rate, a clock drifting at a set
 * rate (ppm), a load profile whose entries fill as (virtual) time passes, an
 * event log, a relay (disconnect control). It answers whole APDUs:
 * associations with no security, LLS or HLS-GMAC (suite 0, ciphered APDUs,
 * frame counters), GET normal / with list / block transfer when an answer
 * exceeds the negotiated PDU size, SET of the clock, ACTION on the relay,
 * RLRQ. Time is the bench's clock (virtual in virtual-time scenarios). */
#ifndef SIM_DLMS_METER_H
#define SIM_DLMS_METER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "sim/dlms/dlms_quirks.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_cipher.h"

#define DLMS_METER_MAX_REGS 16

typedef struct dlms_reg_spec {
    uint8_t obis[6];
    uint16_t class_id;     /* 3 or 4 */
    int8_t scaler;
    uint8_t unit;
    double start;          /* raw value at the start of the scenario */
    double per_hour;       /* raw growth per hour (energy) */
} dlms_reg_spec;

/* What a meter is (fixture plus the scenario's per-meter settings). */
typedef struct dlms_meter_spec {
    char serial[32];
    dlms_reg_spec regs[DLMS_METER_MAX_REGS];
    size_t n_regs;
    int64_t clock_offset_ns;
    double drift_ppm;
    uint8_t profile_obis[6];
    int profile_reg;       /* index into regs captured by the load profile, -1 none */
    int64_t profile_period_ns;
    int64_t history_ns;    /* the profile reaches back this far before the start */
    uint8_t events_obis[6];
    int64_t events_every_ns; /* 0: no event log */
    bool relay;            /* output state at the start */
    uint16_t max_pdu;      /* the meter's own receive limit */
    dlms_auth auth;
    char password[DLMS_MAX_SECRET + 1];
    dlms_keys keys;
    uint8_t systitle[8];
    uint32_t invocation_counter; /* HLS: the first frame counter the meter sends (1 default) */
    dlms_quirks quirks;          /* what it does beside the standard (dlms_quirks.h) */
} dlms_meter_spec;

typedef struct dlms_meter dlms_meter;

/* Read a fixture into spec (defaults for what it leaves out). */
bool dlms_meter_spec_load(const char *path, dlms_meter_spec *spec, cfg_err *err);
dlms_meter *dlms_meter_new(const dlms_meter_spec *spec, int64_t start_wall_ns);
void dlms_meter_free(dlms_meter *m);
/* Answer one request APDU into out; returns the answer length, 0 for no answer. */
size_t dlms_meter_handle(dlms_meter *m, const uint8_t *req, size_t len, uint8_t *out, size_t cap);
/* Forget the association (link reset, node power loss). */
void dlms_meter_reset(dlms_meter *m);
/* Observations for expectations and tests. */
int64_t dlms_meter_time_ns(const dlms_meter *m); /* the meter's clock now */
bool dlms_meter_relay(const dlms_meter *m);
unsigned dlms_meter_blocks_sent(const dlms_meter *m);
unsigned dlms_meter_clock_sets(const dlms_meter *m);
#endif
