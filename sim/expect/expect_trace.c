/* expect_trace: expectations on the wire trace and the segments' observations:
 *   timing idle_before_request  every master frame starts >= min_bits after the
 *                               end of the previous slave byte on the wire
 *   timing response_timeout     after a request that got no answer, the master
 *                               waits >= min (auto: 330 bit times + 50 ms) before
 *                               its next frame
 *   timing fcb_sequence         REQ_UD2 to the same meter toggle the FCB after an
 *                               answer was received and repeat it after none
 *                               (a retry); FCV always set; SND_NKE starts afresh
 *   requests                    count of master frames of a kind (to an address)
 *   baud                        the baud the gateway set on the segment's line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "sim/expect/expect.h"
#include "codec/mbus/mbus_link.h"
#include "sim/core/wire.h"

static const ex_segment_info *find_segment(const ex_context *ctx, const char *name) {
    for (size_t i = 0; i < ctx->n_segments; i++)
        if (!name || strcmp(ctx->segments[i].name, name) == 0) return &ctx->segments[i];
    return NULL;
}

/* The segment's records, ordered by their start on the wire. */
typedef struct view {
    const trace_rec **recs;
    size_t n;
} view;

static int by_start(const void *a, const void *b) {
    const trace_rec *x = *(const trace_rec *const *)a, *y = *(const trace_rec *const *)b;
    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

static view make_view(const trace *tr, const char *ch) {
    view v = {malloc((tr->n ? tr->n : 1) * sizeof *v.recs), 0};
    if (!v.recs) return v;
    for (size_t i = 0; i < tr->n; i++)
        if (strcmp(tr->recs[i].ch, ch) == 0 && tr->recs[i].dir != TRACE_NOTE)
            v.recs[v.n++] = &tr->recs[i];
    qsort(v.recs, v.n, sizeof *v.recs, by_start);
    return v;
}

static bool parse(const trace_rec *r, mbus_frame *f) {
    mbus_error err;
    return mbus_frame_parse(r->bytes, r->len, f, &err) == MBUS_OK && f->frame_len == r->len;
}

static bool is_req_ud2(const mbus_frame *f) {
    return f->kind == MBUS_FRAME_SHORT && (f->c & 0xCF) == 0x4B;
}
static bool is_nke(const mbus_frame *f) {
    return f->kind == MBUS_FRAME_SHORT && f->c == MBUS_C_SND_NKE;
}
static bool is_select(const mbus_frame *f) {
    return (f->kind == MBUS_FRAME_LONG || f->kind == MBUS_FRAME_CONTROL) &&
           f->ci == MBUS_CI_SELECT && (f->c & ~MBUS_C_FCB) == MBUS_C_SND_UD;
}

static double ns_to_bits(int64_t ns, unsigned baud) {
    return (double)ns * baud / 1e9;
}

static bool idle_before_request(const expectation *ex, const view *v, unsigned baud, char *msg,
                                size_t cap, const char *label) {
    int64_t last_slave_end = INT64_MIN;
    double worst = 1e300;
    int64_t worst_at = 0;
    unsigned checked = 0;
    for (size_t i = 0; i < v->n; i++) {
        const trace_rec *r = v->recs[i];
        if (r->dir == TRACE_BUS_TO_GW) {
            if (r->end_ns > last_slave_end) last_slave_end = r->end_ns;
            continue;
        }
        if (last_slave_end == INT64_MIN) continue;
        double gap = ns_to_bits(r->t_ns - last_slave_end, baud);
        checked++;
        if (gap < worst) {
            worst = gap;
            worst_at = r->t_ns;
        }
    }
    bool ok = checked > 0 && worst >= ex->min_bits;
    if (checked == 0) snprintf(msg, cap, "%s: no master frame after a slave answer", label);
    else if (ok) snprintf(msg, cap, "%s: %u frames, shortest idle %.1f bits (>= %.1f)", label, checked,
                 worst, ex->min_bits);
    else
        snprintf(msg, cap, "%s: expected idle >= %.1f bits, observed %.1f bits before the frame at %.3f s",
                 label, ex->min_bits, worst, worst_at / 1e9);
    return ok;
}

/* Does a master frame wait for an answer? (broadcasts do not) */
static bool expects_answer(const mbus_frame *f) {
    if (f->kind == MBUS_FRAME_ACK) return false;
    return f->a != MBUS_ADDR_BROADCAST;
}

static bool response_timeout(const expectation *ex, const view *v, unsigned baud, char *msg,
                             size_t cap, const char *label) {
    int64_t min_ns = ex->min_auto ? wire_bits_ns(baud, 330) + 50 * NS_PER_MS : ex->min_ns;
    unsigned checked = 0;
    int64_t worst = INT64_MAX, worst_at = 0;
    for (size_t i = 0; i < v->n; i++) {
        const trace_rec *r = v->recs[i];
        mbus_frame f;
        if (r->dir != TRACE_GW_TO_BUS || !parse(r, &f) || !expects_answer(&f)) continue;
        if (ex->address >= 0 && f.a != ex->address) continue;
        size_t j = i + 1;
        while (j < v->n && v->recs[j]->dir != TRACE_GW_TO_BUS) j++;
        bool answered = j > i + 1;
        if (answered || j == v->n) continue;
        int64_t wait = v->recs[j]->t_ns - r->end_ns;
        checked++;
        if (wait < worst) {
            worst = wait;
            worst_at = r->t_ns;
        }
    }
    bool ok = checked > 0 && worst >= min_ns;
    if (checked == 0) snprintf(msg, cap, "%s: no unanswered request followed by another", label);
    else if (ok)
        snprintf(msg, cap, "%s: %u unanswered requests, shortest wait %.1f ms (>= %.1f ms)", label,
                 checked, worst / 1e6, min_ns / 1e6);
    else
        snprintf(msg, cap, "%s: expected a wait >= %.1f ms, observed %.1f ms after the request at %.3f s",
                 label, min_ns / 1e6, worst / 1e6, worst_at / 1e9);
    return ok;
}

/* Per meter (primary address, or the secondary address selected before a
 * REQ_UD2 to 0xFD): the FCB of its last REQ_UD2 and whether that got a good answer. */
typedef struct fcb_state {
    char key[24];
    int fcb;        /* -1: none since reset */
    bool answered;
} fcb_state;

static fcb_state *state_for(fcb_state *st, size_t *n, size_t cap, const char *key) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp(st[i].key, key) == 0) return &st[i];
    if (*n == cap) return NULL;
    fcb_state *s = &st[(*n)++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->fcb = -1;
    s->answered = false;
    return s;
}

static bool good_answer_follows(const view *v, size_t i) {
    for (size_t j = i + 1; j < v->n && v->recs[j]->dir == TRACE_BUS_TO_GW; j++) {
        mbus_frame f;
        if (parse(v->recs[j], &f) && f.kind == MBUS_FRAME_LONG) return true;
    }
    return false;
}

static bool fcb_sequence(const expectation *ex, const view *v, char *msg, size_t cap,
                         const char *label) {
    fcb_state st[512];
    size_t n = 0;
    char selected[24] = "";
    unsigned checked = 0;
    for (size_t i = 0; i < v->n; i++) {
        mbus_frame f;
        const trace_rec *r = v->recs[i];
        if (r->dir != TRACE_GW_TO_BUS || !parse(r, &f)) continue;
        char key[24];
        if (is_select(&f) && f.data_len >= 8) {
            mbus_secondary sa;
            mbus_secondary_decode(f.data, &sa);
            mbus_secondary_format(&sa, selected);
            continue;
        }
        if (f.a == MBUS_ADDR_SELECTED) snprintf(key, sizeof key, "%s", selected);
        else snprintf(key, sizeof key, "%u", f.a);
        if (is_nke(&f)) {
            /* a reset: every meter it reaches starts its FCB sequence afresh */
            for (size_t k = 0; k < n; k++)
                if (f.a == MBUS_ADDR_BROADCAST || strcmp(st[k].key, key) == 0) st[k].fcb = -1;
            continue;
        }
        if (!is_req_ud2(&f) || (ex->address >= 0 && f.a != ex->address)) continue;
        fcb_state *s = state_for(st, &n, sizeof st / sizeof st[0], key);
        if (!s) continue;
        int fcb = (f.c & MBUS_C_FCB) ? 1 : 0;
        if (!(f.c & MBUS_C_FCV)) {
            snprintf(msg, cap, "%s: REQ_UD2 without FCV at %.3f s (C=%02X)", label, r->t_ns / 1e9, f.c);
            return false;
        }
        if (s->fcb >= 0) {
            int want = s->answered ? !s->fcb : s->fcb;
            checked++;
            if (fcb != want) {
                snprintf(msg, cap, "%s: expected FCB %d (%s) for meter %s at %.3f s, observed %d",
                         label, want, s->answered ? "toggle after an answer" : "repeat for a retry",
                         key, r->t_ns / 1e9, fcb);
                return false;
            }
        }
        s->fcb = fcb;
        s->answered = good_answer_follows(v, i);
    }
    if (checked == 0) {
        snprintf(msg, cap, "%s: no consecutive REQ_UD2 to one meter to check", label);
        return false;
    }
    snprintf(msg, cap, "%s: %u consecutive REQ_UD2 pairs follow the FCB rule", label, checked);
    return true;
}

/* SND_UD CI 0x51 whose data are exactly the global readout DIF (VIF). */
static bool is_global_readout(const mbus_frame *f, bool with_vif) {
    if (f->kind != MBUS_FRAME_LONG || f->ci != MBUS_CI_DATA_SEND ||
        (f->c & ~MBUS_C_FCB) != MBUS_C_SND_UD)
        return false;
    if (with_vif) return f->data_len == 2 && f->data[0] == 0x7F && f->data[1] == 0x7E;
    return f->data_len == 1 && f->data[0] == 0x7F;
}

static bool frame_matches(const expectation *ex, const mbus_frame *f) {
    if (ex->address >= 0 && f->a != ex->address) return false;
    if (strcmp(ex->frame, "req_ud2") == 0) return is_req_ud2(f);
    if (strcmp(ex->frame, "snd_nke") == 0) return is_nke(f);
    if (strcmp(ex->frame, "select") == 0) return is_select(f);
    if (strcmp(ex->frame, "global_readout") == 0) return is_global_readout(f, true);
    if (strcmp(ex->frame, "global_readout_dif") == 0) return is_global_readout(f, false);
    return true;
}

static bool requests(const expectation *ex, const view *v, char *msg, size_t cap,
                     const char *label) {
    long long count = 0;
    for (size_t i = 0; i < v->n; i++) {
        mbus_frame f;
        if (v->recs[i]->dir == TRACE_GW_TO_BUS && parse(v->recs[i], &f) && frame_matches(ex, &f))
            count++;
    }
    bool ok = count >= ex->min && count <= ex->max;
    char want[64];
    if (ex->min == ex->max) snprintf(want, sizeof want, "%lld", ex->min);
    else snprintf(want, sizeof want, "%lld..%lld", ex->min, ex->max);
    if (ok) snprintf(msg, cap, "%s: %lld (expected %s)", label, count, want);
    else snprintf(msg, cap, "%s: expected %s, observed %lld", label, want, count);
    return ok;
}

static bool baud(const expectation *ex, const ex_segment_info *seg, char *msg, size_t cap) {
    char seen[32];
    snprintf(seen, sizeof seen, "%u", seg->baud_seen);
    bool ok = seg->frames > 0 && expect_equal(ex, seen) && seg->mismatches == 0;
    if (ok) snprintf(msg, cap, "baud %s = %s", seg->name, ex->equals);
    else if (seg->frames == 0) snprintf(msg, cap, "baud %s: expected %s, observed no frame from the gateway", seg->name, ex->equals);
    else
        snprintf(msg, cap, "baud %s: expected %s, observed %s (%u of %u frames at another baud)",
                 seg->name, ex->equals, seen, seg->mismatches, seg->frames);
    return ok;
}

bool expect_eval_trace(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const ex_segment_info *seg = find_segment(ctx, ex->segment);
    if (!seg) {
        snprintf(msg, cap, "%s: no segment %s in the plant", ex->rule ? ex->rule : "trace",
                 ex->segment ? ex->segment : "(any)");
        return false;
    }
    if (ex->kind == EX_BAUD) return baud(ex, seg, msg, cap);
    char label[160];
    if (ex->kind == EX_REQUESTS && ex->address >= 0)
        snprintf(label, sizeof label, "requests %s %s a=%lld", seg->name, ex->frame, ex->address);
    else if (ex->kind == EX_REQUESTS)
        snprintf(label, sizeof label, "requests %s %s", seg->name, ex->frame);
    else
        snprintf(label, sizeof label, "timing %s %s", ex->rule, seg->name);
    view v = make_view(ctx->tr, seg->name);
    bool ok = false;
    if (!v.recs) snprintf(msg, cap, "%s: out of memory", label);
    else if (ex->kind == EX_REQUESTS) ok = requests(ex, &v, msg, cap, label);
    else if (strcmp(ex->rule, "idle_before_request") == 0)
        ok = idle_before_request(ex, &v, seg->baud, msg, cap, label);
    else if (strcmp(ex->rule, "response_timeout") == 0)
        ok = response_timeout(ex, &v, seg->baud, msg, cap, label);
    else ok = fcb_sequence(ex, &v, msg, cap, label);
    free(v.recs);
    return ok;
}

/* response_timeout's min: a duration, or auto = 330 bit times + 50 ms at the segment's baud. */
static bool parse_min_duration(const cfg_node *m, expectation *ex, cfg_err *err) {
    const cfg_node *min = cfg_get(m, "min");
    if (min && min->kind == CFG_SCALAR && strcmp(min->scalar, "auto") == 0) {
        ex->min_auto = true;
        return true;
    }
    return cfg_duration_ns(m, "min", 0, &ex->min_ns, err);
}

bool expect_parse_timing(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"rule", "segment", "min_bits", "min", "address", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "rule", CFG_SCALAR, err)) return false;
    if (!cfg_str(m, "rule", NULL, &ex->rule, err) ||
        !cfg_str(m, "segment", NULL, &ex->segment, err) ||
        !cfg_double(m, "min_bits", 33, &ex->min_bits, err) ||
        !cfg_int(m, "address", -1, -1, 255, &ex->address, err))
        return false;
    if (strcmp(ex->rule, "response_timeout") == 0) {
        if (!cfg_get(m, "min")) ex->min_auto = true;
        else if (!parse_min_duration(m, ex, err)) return false;
    } else if (strcmp(ex->rule, "idle_before_request") && strcmp(ex->rule, "fcb_sequence")) {
        return cfg_fail(err, cfg_get(m, "rule"),
                        "rule must be idle_before_request, response_timeout or fcb_sequence");
    }
    return true;
}

bool expect_parse_requests(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"segment", "frame", "address", "count", "min", "max", NULL};
    if (!cfg_only_keys(m, keys, err)) return false;
    if (!cfg_str(m, "segment", NULL, &ex->segment, err) ||
        !cfg_str(m, "frame", "req_ud2", &ex->frame, err) ||
        !cfg_int(m, "address", -1, -1, 255, &ex->address, err) || !expect_parse_count(m, ex, err))
        return false;
    static const char *const frames[] = {"req_ud2", "snd_nke", "select", "global_readout",
                                         "global_readout_dif", "any", NULL};
    for (int i = 0; frames[i]; i++)
        if (strcmp(ex->frame, frames[i]) == 0) return true;
    return cfg_fail(err, cfg_get(m, "frame"),
                    "frame must be req_ud2, snd_nke, select, global_readout, global_readout_dif or any");
}

bool expect_parse_baud(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"segment", "equals", NULL};
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "equals", CFG_SCALAR, err)) return false;
    return cfg_str(m, "segment", NULL, &ex->segment, err) && expect_parse_equals(m, ex, err);
}
