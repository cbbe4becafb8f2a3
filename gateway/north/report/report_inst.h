/* report instances (up to 10, MUC500 "Multi Channel Reporting"): what each
 * instance selects and renders, when it fires, and how its queue of rendered
 * reports is delivered (report.c configuration and triggers, report_render.c,
 * report_deliver.c). */
#ifndef GW_REPORT_INST_H
#define GW_REPORT_INST_H
#include "core/cron.h"
#include "core/datahub.h"
#include "core/event_limit.h"
#include "core/loop.h"
#include "north/report/report.h"
#include "north/report/report_transport.h"
#include "store/store.h"

#define REPORT_MAX_INSTANCES 10
#define REPORT_DEFAULT_BACKLOG 180 /* CMe3100 "value period auto": 180 readouts */

typedef enum { RF_CSV, RF_JSON, RF_XML, RF_EVENTS } rpt_format_kind;

typedef struct mem_msg {
    store_msg m;
    char *instance;
    struct mem_msg *next;
} mem_msg;

typedef struct rpt_event {
    int64_t ts_ns;
    char *source, *kind, *meter, *text;
} rpt_event;

typedef struct rpt_instance {
    struct report *owner;
    char *name; /* "" in the legacy single-directory form */
    rpt_format_kind kind;
    int variant; /* CSV variant or XML version */
    char **meters, **quantities; /* selection; NULL lists = everything */
    size_t n_meters, n_quantities;
    bool per_cycle; /* no schedule: one report per readout cycle */
    cron_schedule sched;
    loop_timer_id fire_timer;
    rpt_transport *tr;
    int64_t backlog;        /* queued reports kept at most */
    int retries;            /* -1: adaptive (CMe3100 Table 9) */
    int64_t retry_delay_ns; /* with fixed retries */
    /* delivery state */
    bool busy;
    bool wait_commit; /* the queue head is not committed yet (store_outbox_committed) */
    int attempts;
    loop_timer_id kick_timer;
    int64_t last_cycle_ns, period_ns; /* measured readout period for adaptive retries */
    mem_msg *q_head, *q_tail;         /* queue when there is no store */
    int64_t q_next_id;
    rpt_event *events; /* RF_EVENTS: events since the last event report */
    int64_t last_delivery_ns, last_failure_ns; /* wall time, 0 never (report_status.c) */
    char last_error[160];
    /* transport_failed events: a receiver down for hours with retries every few seconds
     * must not write an event per attempt (core/event_limit.h); attempts stay counted */
    event_limit fail_events;
    uint64_t failed_attempts;
    size_t n_events, cap_events;
} rpt_instance;

struct report {
    char *name; /* gateway name */
    rpt_instance inst[REPORT_MAX_INSTANCES];
    size_t n;
    datahub *hub;
    gw_loop *loop;
    gw_store *store;
    int subscription;
    bool started; /* subscribed and the store's commit hook is ours (report_stop undoes it) */
};

/* report_render.c: render the instance's report of the current hub state
 * (source: the cycle's driver, NULL for a scheduled report) into msg (name,
 * content_type, body, len allocated; store_msg_free). id (report_next_id) goes
 * into the name, the body and msg->id. false on error. */
bool report_render(const rpt_instance *in, const datahub *hub, const char *source, int64_t id,
                   int64_t ts_ns, const char *gateway, store_msg *msg);
bool report_render_events(rpt_instance *in, int64_t id, int64_t ts_ns, const char *gateway,
                          store_msg *msg);
void report_events_clear(rpt_instance *in);

/* report_deliver.c */
int64_t report_next_id(rpt_instance *in);              /* the id the next report gets */
void report_enqueue(rpt_instance *in, store_msg *msg); /* takes msg's contents */
void report_on_commit(void *arg);                      /* store_on_commit callback (report) */
void report_kick(rpt_instance *in);                    /* try the queue head (soon) */
void report_deliver_bind(rpt_instance *in);
void report_queue_free(rpt_instance *in);
/* CMe3100 Table 9: retries and the wait between them by schedule period. */
void report_retry_policy(int64_t period_ns, int *retries, int64_t *delay_ns);
size_t report_queued(const rpt_instance *in);
#endif
