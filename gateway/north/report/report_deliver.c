/* report_deliver: each instance's queue of rendered reports and its delivery,
 * one report at a time, oldest first, so reports arrive in order.
 *
 * The queue lives in the store (table outbox) when the gateway has one — it
 * survives restarts and a crash — and in memory otherwise. A report is
 * rendered with the id its row will get, and no transport sees it before that
 * row committed: a crash before the commit takes back the readings, the row
 * and the id together, so nothing went out that the store does not know, and
 * an id is never used for two different reports. A report leaves the
 * queue only when its transport confirmed it (at least once; the id lets the
 * receiver drop duplicates). A failure is retried per the CMe3100 retry table
 * (by schedule period); when the retries are used up the report waits for the
 * instance's next report, and then everything queued goes out in order. At
 * most `backlog` reports are kept (oldest dropped, with an event). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "north/report/report_inst.h"

#define MIN_NS (60 * NS_PER_S)

void report_retry_policy(int64_t period_ns, int *retries, int64_t *delay_ns) {
    if (period_ns <= 15 * MIN_NS) {
        *retries = 1;
        *delay_ns = 0;
    } else if (period_ns <= 60 * MIN_NS) {
        *retries = 2;
        *delay_ns = 300 * NS_PER_S;
    } else if (period_ns <= 23 * 60 * MIN_NS) {
        *retries = 3;
        *delay_ns = 500 * NS_PER_S;
    } else {
        *retries = 6;
        *delay_ns = 3600 * NS_PER_S;
    }
}

static void event(rpt_instance *in, const char *kind, const char *text) {
    report *r = in->owner;
    if (!r->hub || !r->loop) /* no loop: called from a hub callback; log only */
        return;
    char source[160];
    snprintf(source, sizeof source, "report:%s", in->name[0] ? in->name : "files");
    dh_event e = {.source = source, .kind = kind, .text = text, .ts_ns = clock_wall_ns()};
    datahub_event(r->hub, &e);
}

/* ---- the queue: store or memory ---- */

size_t report_queued(const rpt_instance *in) {
    if (in->owner->store)
        return store_outbox_count(in->owner->store, in->name);
    size_t n = 0;
    for (const mem_msg *m = in->q_head; m; m = m->next)
        n++;
    return n;
}

static void mem_drop_head(rpt_instance *in) {
    mem_msg *m = in->q_head;
    in->q_head = m->next;
    if (!in->q_head)
        in->q_tail = NULL;
    store_msg_free(&m->m);
    free(m);
}

int64_t report_next_id(rpt_instance *in) {
    if (in->owner->store)
        return store_outbox_next_id(in->owner->store);
    return in->q_next_id + 1;
}

static int64_t mem_add(rpt_instance *in, store_msg *msg, int64_t *dropped) {
    mem_msg *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->m = *msg;
    m->m.id = msg->id > in->q_next_id ? msg->id : in->q_next_id + 1;
    in->q_next_id = m->m.id;
    memset(msg, 0, sizeof *msg);
    if (in->q_tail)
        in->q_tail->next = m;
    else
        in->q_head = m;
    in->q_tail = m;
    *dropped = 0;
    for (size_t n = report_queued(in); in->backlog > 0 && (int64_t)n > in->backlog; n--) {
        mem_drop_head(in);
        ++*dropped;
    }
    return m->m.id;
}

void report_enqueue(rpt_instance *in, store_msg *msg) {
    int64_t dropped = 0, id;
    gw_store *store = in->owner->store;
    if (store) {
        /* Inside a cycle's transaction the row commits with the cycle's readings
         * (next loop turn); alone (a schedule, or no loop) it commits now rather
         * than after the store's 1 s delay. */
        bool alone = !store_in_transaction(store);
        id = store_outbox_add(store, msg, in->backlog, &dropped);
        store_msg_free(msg);
        if (alone)
            store_flush(store);
    } else {
        id = mem_add(in, msg, &dropped);
        store_msg_free(msg); /* nothing left when mem_add took it */
    }
    if (id < 0)
        log_error("report", "%s: cannot queue a report", in->name);
    if (dropped > 0) {
        char text[160];
        snprintf(text, sizeof text, "backlog of %lld reports full: %lld oldest dropped",
                 (long long)in->backlog, (long long)dropped);
        log_warn("report", "%s: %s", in->name, text);
        event(in, "report_dropped", text);
    }
}

static bool queue_head(rpt_instance *in, store_msg *out) {
    if (in->owner->store)
        return store_outbox_head(in->owner->store, in->name, out);
    if (!in->q_head)
        return false;
    *out = in->q_head->m; /* borrowed: not freed by the caller */
    return true;
}

static void queue_delete(rpt_instance *in, int64_t id) {
    if (in->owner->store)
        store_outbox_delete(in->owner->store, id);
    else if (in->q_head && in->q_head->m.id == id)
        mem_drop_head(in);
}

void report_queue_free(rpt_instance *in) {
    while (in->q_head)
        mem_drop_head(in);
}

/* ---- delivery ---- */

static void send_head(rpt_instance *in) {
    store_msg msg;
    if (in->busy || !in->tr || !queue_head(in, &msg))
        return;
    if (in->owner->store && !store_outbox_committed(in->owner->store, msg.id)) {
        in->wait_commit = true; /* report_on_commit sends it */
        store_msg_free(&msg);
        return;
    }
    in->busy = true;
    transport_send(in->tr, &msg);
    if (in->owner->store)
        store_msg_free(&msg);
}

static void on_kick(gw_loop *loop, void *arg) {
    rpt_instance *in = arg;
    in->kick_timer = 0;
    send_head(in);
}

static void kick_after(rpt_instance *in, int64_t delay_ns) {
    gw_loop *loop = in->owner->loop;
    if (!loop) {
        send_head(in);
        return;
    }
    if (in->kick_timer)
        loop_timer_cancel(loop, in->kick_timer);
    in->kick_timer = loop_timer_after(loop, delay_ns, on_kick, in);
}

void report_on_commit(void *arg) {
    report *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        rpt_instance *in = &r->inst[i];
        if (in->wait_commit) {
            in->wait_commit = false;
            kick_after(in, 0);
        }
    }
}

void report_kick(rpt_instance *in) {
    in->attempts = 0; /* a new report: a fresh round of retries */
    kick_after(in, 0);
}

static void retry_plan(const rpt_instance *in, int *retries, int64_t *delay_ns) {
    if (in->retries >= 0) {
        *retries = in->retries;
        *delay_ns = in->retry_delay_ns;
        return;
    }
    int64_t period = in->period_ns;
    if (!in->per_cycle)
        period = cron_period_ns(&in->sched, clock_wall_ns());
    report_retry_policy(period > 0 ? period : 15 * MIN_NS, retries, delay_ns);
}

static void on_sent(void *arg, int64_t id, bool ok, const char *why) {
    rpt_instance *in = arg;
    in->busy = false;
    if (ok) {
        in->last_delivery_ns = clock_wall_ns();
        queue_delete(in, id);
        in->attempts = 0;
        kick_after(in, 0); /* the next queued report, if any */
        return;
    }
    char text[256];
    snprintf(text, sizeof text, "report %lld not delivered: %s", (long long)id, why);
    in->last_failure_ns = clock_wall_ns();
    snprintf(in->last_error, sizeof in->last_error, "%s", why ? why : "");
    in->failed_attempts++;
    if (event_limit_take(&in->fail_events))
        event(in, "transport_failed", text);
    int retries;
    int64_t delay;
    retry_plan(in, &retries, &delay);
    if (in->attempts++ < retries)
        kick_after(in, delay);
    /* else: retries used up; the report stays queued and goes with the next one */
}

/* The attempts the limit left out, as one event of the same kind with the last reason. */
static void fail_summary(void *arg, uint64_t left_out, int64_t interval_ns) {
    rpt_instance *in = arg;
    char text[320];
    snprintf(text, sizeof text,
             "%llu more delivery attempts failed within %lld s (%llu since the start; last: %s)",
             (unsigned long long)left_out, (long long)(interval_ns / 1000000000LL),
             (unsigned long long)in->failed_attempts, in->last_error);
    event(in, "transport_failed", text);
}

void report_deliver_bind(rpt_instance *in) {
    event_limit_init(&in->fail_events, in->owner->loop, EVENT_LIMIT_BURST,
                     EVENT_LIMIT_INTERVAL_NS, fail_summary, in);
    rpt_transport_hooks hooks = {.ctx = in, .sent = on_sent};
    if (in->tr)
        transport_bind(in->tr, in->owner->loop, &hooks);
}
