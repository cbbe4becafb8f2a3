/* dlms_client_int: the DLMS client's state, shared by its files: dlms_client.c (jobs,
 * association, registers, clock, scheduling), dlms_client_profile.c (profile generic
 * objects) and dlms_client_tolerate.c (per-object failures and what is tolerated from
 * meters). Not for use outside the client. */
#ifndef DLMS_CLIENT_INT_H
#define DLMS_CLIENT_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_axdr.h"
#include "south/dlms/dlms_client.h"
#include "south/dlms/dlms_link.h"
#include "south/dlms/dlms_profile.h"
#include "core/loop.h"

#define MOD "dlms"
#define TX_MAX 2048
#define RX_MAX 4096
#define BLOCK_MAX (1u << 20) /* largest block-transfer result we assemble */
#define CHALLENGE_LEN 8
#define SU_BATCH 4           /* scaler_unit attributes asked in one GET with list */
#define REPEATS_MAX 3        /* repeated blocks of one object before it fails */

typedef enum { STEP_AARQ, STEP_HLS, STEP_OBJECTS, STEP_RELEASE } job_step;

/* Profile objects: which of the three requests is pending (m->sub). */
enum { PROF_COLUMNS, PROF_SCALERS, PROF_BUFFER };

typedef struct obj_rt {
    bool have_su;
    int8_t scaler;
    uint8_t unit;
    dlms_profile prof;       /* profiles: columns and the window of stored entries */
    size_t su_cols[SU_BATCH], n_su; /* profiles: columns whose scaler_unit is asked */
    bool failing;            /* the last read of this object failed (one event per start) */
    unsigned failures;       /* failed reads since it started failing */
} obj_rt;

/* What the client tolerated from a meter: counted, one event the first time each. */
typedef enum { TOL_TRAILING, TOL_REPEATED_BLOCK, TOL_STALE, TOL_MISMATCH, TOL_KINDS } tolerated_kind;

typedef struct net net;

typedef struct meter {
    const dlms_meter_cfg *cfg;
    net *net;
    dlms_link *link;
    unsigned due;            /* bit g: polling group g is due */
    unsigned job_groups;     /* groups this job reads */
    bool queued, busy, awaiting;
    int64_t not_before;      /* reconnect delay after a failure (mono ns) */
    job_step step;
    size_t obj;
    int sub;
    bool req_is_list;        /* the pending GET is with-list */
    uint8_t invoke;
    uint8_t tx[TX_MAX];
    size_t tx_len;
    int attempt;
    loop_timer_id timer;
    uint8_t *blk;            /* block transfer assembly */
    size_t blk_len, blk_cap;
    uint32_t blk_no;
    unsigned blk_repeats;    /* repeated blocks in this transfer */
    uint16_t pdu;            /* the meter's max receive PDU */
    uint32_t fc;             /* our frame counter */
    uint32_t fc_limit;       /* reserved in the store up to here (0: no store) */
    uint8_t peer_title[8];
    bool ciphered;
    uint8_t challenge[CHALLENGE_LEN];
    uint8_t stoc[64];
    size_t stoc_len;
    bool blk_pending;        /* the next request is GET-next of a block transfer */
    uint64_t rng;
    obj_rt *objs;
    char serial[64];
    char error[240];
    const char *error_kind;  /* "not_read", "auth_failed", "rejected" */
    unsigned values;
    unsigned tolerated[TOL_KINDS]; /* since the start (points <meter>/link/...) */
    unsigned object_errors;  /* failed object reads since the start */
} meter;

struct net {
    const dlms_network_cfg *cfg;
    dlms_client *c;
    meter *meters;
    size_t n;
    int active;
    size_t next;             /* round-robin start of the queue scan */
    loop_timer_id pump_timer;
    bool cycle_open;
    char source[DLMS_NAME_MAX + 8];
};

typedef struct group_tick {
    dlms_client *c;
    dlms_group g;
} group_tick;

struct dlms_client {
    group_tick ticks[DLMS_GROUPS];
    const dlms_config *cfg;
    gw_loop *loop;
    datahub *hub;
    net *nets;
    size_t n;
    loop_timer_id group_timer[DLMS_GROUPS];
    const gw_state *state;   /* NULL: nothing survives a restart */
};

/* dlms_client.c */
void dlms_publish_event(meter *m, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool dlms_to_dp_value(const dlms_value *v, int scaler, dp_value *out, char *text, size_t cap, int64_t *raw,
                      bool *has_raw);
/* quantity: what the value measures (dlms_obis_quantity); address: the COSEM attribute
 * it was read from (dlms_attr_address), NULL for the client's own counters. */
void dlms_publish_point(meter *m, const char *id_suffix, const char *quantity, const char *address,
                        const dp_value *value, int scaler, const char *unit, int64_t ts, int64_t meter_ts,
                        int64_t raw, bool has_raw, unsigned quality);
/* A point's origin address "1-0:1.8.0.255 class 3 attr 2" (out: DP_ADDRESS_MAX bytes). */
void dlms_attr_address(const uint8_t obis[6], unsigned class_id, int attr, char *out, size_t cap);
void dlms_send_get_refs(meter *m, const cosem_ref *refs, size_t n, const dlms_access *access);
bool dlms_first_value(const dlms_result *r, dlms_value *v, axdr_reader *rd);

/* dlms_client_profile.c */
void dlms_profile_request(meter *m, const dlms_object_cfg *o, obj_rt *rt);
/* true when the object is done (the job moves to the next object) */
bool dlms_profile_answer(meter *m, const dlms_object_cfg *o, obj_rt *rt, const dlms_result *res, size_t n);
/* A restart: the window from the store (its newest entry and the identities of that second). */
void dlms_profile_resume(meter *m, size_t obj);

/* dlms_client_tolerate.c */
/* One object failed: its points marked invalid, one event when it starts failing. */
void dlms_object_failed(meter *m, const dlms_object_cfg *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void dlms_object_read(meter *m, const dlms_object_cfg *o); /* read fine: one event if it recovers */
void dlms_tolerated(meter *m, tolerated_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void dlms_publish_link_counters(meter *m, int64_t wall);
#endif
