/* report_timeline: trace records to lanes and marks (report_timeline.h). */
#include "sim/report/report_timeline.h"
#include <stdlib.h>
#include <string.h>
#include "sim/core/trace_pcapng.h"

static const char *const kind_names[MK_COUNT] = {"request", "answer", "retry", "collision",
                                                 "garbled", "timeout", "cycle", "note"};

const char *report_mark_kind_name(report_mark_kind k) {
    return k < MK_COUNT ? kind_names[k] : "?";
}

/* What the master of each lane last sent, for retries and timeouts. */
typedef struct lane_state {
    const trace_rec *request; /* the last request, NULL once answered */
    const trace_rec *last;    /* the last request, answered or not */
    bool last_clean;          /* it got an answer that was neither collision nor garbled */
    size_t air_mark;          /* 1 + the mark of the latest-ending transmission on the air, 0: none */
    bool seen_frame;
} lane_state;

typedef struct builder {
    report_timeline *tl;
    lane_state *st;
    size_t cap_lanes, cap_marks;
} builder;

static long lane_of(builder *b, const char *name) {
    report_timeline *tl = b->tl;
    for (size_t i = tl->n_lanes; i-- > 0;)
        if (strcmp(tl->lanes[i].name, name) == 0) return (long)i;
    if (tl->n_lanes == b->cap_lanes) {
        size_t cap = b->cap_lanes ? b->cap_lanes * 2 : 8;
        report_lane *l = realloc(tl->lanes, cap * sizeof *l);
        lane_state *s = l ? realloc(b->st, cap * sizeof *s) : NULL;
        if (l) tl->lanes = l;
        if (!s) return -1;
        b->st = s;
        b->cap_lanes = cap;
    }
    report_lane *ln = &tl->lanes[tl->n_lanes];
    memset(ln, 0, sizeof *ln);
    snprintf(ln->name, sizeof ln->name, "%s", name);
    ln->kind = TK_NOTES;
    b->st[tl->n_lanes] = (lane_state){0};
    return (long)tl->n_lanes++;
}

static int add_mark(builder *b, size_t rec, size_t lane, report_mark_kind k, int64_t t, int64_t end) {
    report_timeline *tl = b->tl;
    if (tl->n_marks == b->cap_marks) {
        size_t cap = b->cap_marks ? b->cap_marks * 2 : 256;
        report_mark *m = realloc(tl->marks, cap * sizeof *m);
        if (!m) return -1;
        tl->marks = m;
        b->cap_marks = cap;
    }
    tl->marks[tl->n_marks++] = (report_mark){rec, lane, k, t, end};
    tl->lanes[lane].counts[k]++;
    return 0;
}

static bool has(const char *event, const char *word) {
    return strstr(event, word) != NULL;
}

/* The same request again: the same bytes, or for an M-Bus short frame (10 C A CS 16)
 * the same C field and address with only the frame count bit (FCB, 0x20) toggled,
 * as a retry of REQ_UD2 is sent. */
static bool same_request(const trace_rec *p, const trace_rec *r) {
    if (p->len != r->len) return false;
    if (memcmp(p->bytes, r->bytes, r->len) == 0) return true;
    return r->len == 5 && r->bytes[0] == 0x10 && p->bytes[0] == 0x10 && r->bytes[4] == 0x16 &&
           (r->bytes[1] & ~0x20) == (p->bytes[1] & ~0x20) && r->bytes[2] == p->bytes[2];
}

/* The kind of a record with bytes, as the lane's master or the other side sent it. */
static report_mark_kind frame_kind(const trace_rec *r, bool from_master, const lane_state *st) {
    if (strncmp(r->event, "collision", 9) == 0) return MK_COLLISION;
    if (has(r->event, "garbled") || has(r->event, "framing") || has(r->event, "parity") || has(r->event, "garbage") ||
        has(r->event, "bad frame") || has(r->event, "incomplete frame"))
        return MK_GARBLED;
    if (!from_master) return MK_ANSWER;
    if (st->last && !st->last_clean && same_request(st->last, r)) return MK_RETRY;
    return MK_REQUEST;
}

static report_mark_kind note_kind(const trace_rec *r) {
    if (has(r->event, "timeout") || has(r->event, "timed out")) return MK_TIMEOUT;
    if (has(r->event, "cycle")) return MK_CYCLE;
    return MK_NOTE;
}

/* The mode of a transmission on the air ("send T1 name -70.0 dBm": T1), "" if none. */
static void air_mode(const char *event, char out[8]) {
    out[0] = '\0';
    if (strncmp(event, "send ", 5) == 0) sscanf(event + 5, "%7s", out);
}

/* A note with bytes: a meter's transmission on the simulated air. It collided when it
 * overlaps the transmission before it in the same mode on the lane; both become
 * collision marks (what the radio module made of them shows on its own lane). */
static int add_air(builder *b, const trace *tr, size_t i, size_t li) {
    const trace_rec *r = &tr->recs[i];
    report_lane *ln = &b->tl->lanes[li];
    lane_state *st = &b->st[li];
    if (!st->seen_frame) {
        st->seen_frame = true;
        ln->kind = (int)trace_channel_classify(r);
    }
    char mode[8], prev_mode[8] = "";
    air_mode(r->event, mode);
    const trace_rec *p = st->air_mark ? &tr->recs[b->tl->marks[st->air_mark - 1].rec] : NULL;
    if (p) air_mode(p->event, prev_mode);
    report_mark_kind k = MK_ANSWER;
    if (p && r->t_ns < p->end_ns && strcmp(mode, prev_mode) == 0) {
        report_mark *pm = &b->tl->marks[st->air_mark - 1];
        if (pm->kind != MK_COLLISION) {
            ln->counts[pm->kind]--;
            pm->kind = MK_COLLISION;
            ln->counts[MK_COLLISION]++;
        }
        k = MK_COLLISION;
    }
    if (add_mark(b, i, li, k, r->t_ns, r->end_ns) < 0) return -1;
    if (!p || r->end_ns >= p->end_ns) st->air_mark = b->tl->n_marks; /* the one that ends last */
    return 0;
}

static int add_record(builder *b, const trace *tr, size_t i) {
    const trace_rec *r = &tr->recs[i];
    long li = lane_of(b, r->ch);
    if (li < 0) return -1;
    report_lane *ln = &b->tl->lanes[li];
    lane_state *st = &b->st[li];
    ln->records++;
    int64_t span = b->tl->end_ns > 0 ? b->tl->end_ns : 1;
    size_t bin = (size_t)((double)(r->t_ns < 0 ? 0 : r->t_ns) / (double)span * REPORT_BINS);
    ln->bins[bin < REPORT_BINS ? bin : REPORT_BINS - 1]++;
    if (r->dir == TRACE_NOTE && r->len > 0) return add_air(b, tr, i, (size_t)li);
    if (r->dir == TRACE_NOTE || r->len == 0) return add_mark(b, i, (size_t)li, note_kind(r), r->t_ns, r->end_ns);
    if (!ln->has_master) { /* the lane's first frame tells its kind and who is master */
        st->seen_frame = true;
        ln->kind = (int)trace_channel_classify(r);
        ln->bench_master = r->dir == TRACE_BUS_TO_GW;
        ln->has_master = true;
    }
    bool from_master = (r->dir == TRACE_BUS_TO_GW) == ln->bench_master;
    report_mark_kind k = frame_kind(r, from_master, st);
    if (from_master && st->request && add_mark(b, (size_t)(st->request - tr->recs), (size_t)li, MK_TIMEOUT,
                                               r->t_ns, r->t_ns) < 0)
        return -1;
    st->request = from_master ? r : NULL;
    if (from_master) {
        st->last = r;
        st->last_clean = false;
    } else if (k == MK_ANSWER) {
        st->last_clean = true;
    }
    return add_mark(b, i, (size_t)li, k, r->t_ns, r->end_ns);
}

static int by_time(const void *a, const void *b) {
    const report_mark *x = a, *y = b;
    if (x->t_ns != y->t_ns) return x->t_ns < y->t_ns ? -1 : 1;
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* Over the cap: the unusual marks first, then requests and answers in time order. */
static void cap_marks(report_timeline *tl, size_t max_marks) {
    size_t unusual = 0;
    for (size_t i = 0; i < tl->n_marks; i++) unusual += tl->marks[i].kind > MK_ANSWER;
    size_t plain_budget = unusual < max_marks ? max_marks - unusual : 0, kept = 0, plain = 0;
    for (size_t i = 0; i < tl->n_marks && kept < max_marks; i++) {
        bool is_plain = tl->marks[i].kind <= MK_ANSWER;
        if (is_plain && plain++ >= plain_budget) continue;
        tl->marks[kept++] = tl->marks[i];
    }
    tl->n_marks = kept;
}

int report_timeline_build(report_timeline *tl, const trace *tr, size_t max_marks) {
    memset(tl, 0, sizeof *tl);
    for (size_t i = 0; i < tr->n; i++)
        if (tr->recs[i].end_ns > tl->end_ns) tl->end_ns = tr->recs[i].end_ns;
    builder b = {.tl = tl};
    int rc = 0;
    for (size_t i = 0; i < tr->n && rc == 0; i++) rc = add_record(&b, tr, i);
    free(b.st);
    if (rc < 0) {
        report_timeline_free(tl);
        return -1;
    }
    if (tl->n_marks) qsort(tl->marks, tl->n_marks, sizeof *tl->marks, by_time);
    tl->n_all = tl->n_marks;
    if (tl->n_marks > max_marks) cap_marks(tl, max_marks);
    return 0;
}

void report_timeline_free(report_timeline *tl) {
    free(tl->lanes);
    free(tl->marks);
    memset(tl, 0, sizeof *tl);
}
