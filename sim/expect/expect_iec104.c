/* expect_iec104: IEC 104 expectations on the trace (see expect_iec104.h). */
#include "sim/expect/expect_iec104.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/expect/expect.h"
#include "codec/iec104/iec104.h"

static bool parse_frame_filters(const cfg_node *m, ex_iec104 *x, cfg_err *err) {
    const char *from, *type, *cot;
    if (!cfg_str(m, "master", NULL, &x->master, err) ||
        !cfg_str(m, "from", "gateway", &from, err) || !cfg_str(m, "frame", NULL, &x->frame, err) ||
        !cfg_str(m, "type", NULL, &type, err) || !cfg_str(m, "cot", NULL, &cot, err))
        return false;
    if (strcmp(from, "gateway") && strcmp(from, "master"))
        return cfg_fail(err, cfg_get(m, "from"), "from must be gateway or master");
    x->from_master = strcmp(from, "master") == 0;
    x->type = type ? iec104_type_parse(type) : -1;
    if (type && x->type < 0) {
        char *end;
        long t = strtol(type, &end, 10);
        if (*end || t < 1 || t > 255)
            return cfg_fail(err, cfg_get(m, "type"), "unknown type %s", type);
        x->type = (int)t;
    }
    x->cot = cot ? iec104_cot_parse(cot) : -1;
    if (cot && x->cot < 0)
        return cfg_fail(err, cfg_get(m, "cot"), "unknown cause of transmission %s", cot);
    return true;
}

bool expect_parse_iec104(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"master", "from", "frame", "type", "cot", "negative",
                                       "ca", "ioa", "value", "tolerance", "quality", "time_tag",
                                       "after", "before", "count", "min", "max", NULL};
    ex_iec104 *x = &ex->iec104;
    long long ca, quality;
    const char *neg;
    if (!cfg_only_keys(m, keys, err) || !parse_frame_filters(m, x, err) ||
        !cfg_int(m, "ca", -1, -1, 65535, &ca, err) ||
        !cfg_int(m, "ioa", -1, -1, IEC104_IOA_MAX, &x->ioa, err) ||
        !cfg_double(m, "tolerance", 1e-6, &x->tolerance, err) ||
        !cfg_int(m, "quality", -1, -1, 255, &quality, err) ||
        !cfg_str(m, "time_tag", NULL, &x->time_tag, err) ||
        !cfg_str(m, "negative", NULL, &neg, err) ||
        !cfg_duration_ns(m, "after", 0, &x->after_ns, err) ||
        !cfg_duration_ns(m, "before", INT64_MAX, &x->before_ns, err))
        return false;
    x->ca = (int)ca;
    x->quality = (int)quality;
    x->negative = !neg ? -1 : strcmp(neg, "true") == 0 ? 1 : 0;
    x->has_value = cfg_get(m, "value") != NULL;
    if (x->has_value && !cfg_double(m, "value", 0, &x->value, err))
        return false;
    if (x->time_tag && strcmp(x->time_tag, "valid") && strcmp(x->time_tag, "invalid"))
        return cfg_fail(err, cfg_get(m, "time_tag"), "time_tag must be valid or invalid");
    x->object_level = x->ioa >= 0 || x->has_value || x->quality >= 0 || x->time_tag;
    long long count;
    if (!cfg_int(m, "count", -1, -1, 100000000, &count, err) ||
        !cfg_int(m, "min", count >= 0 ? count : 1, 0, 100000000, &ex->min, err) ||
        !cfg_int(m, "max", count >= 0 ? count : 100000000, 0, 100000000, &ex->max, err))
        return false;
    if (ex->min > ex->max)
        return cfg_fail(err, m, "min is larger than max");
    return true;
}

static double object_value(uint8_t type, const iec104_io *io) {
    uint8_t base = iec104_type_without_time(type);
    if (base == M_ME_NC_1)
        return io->fval;
    if (base == M_ME_NA_1)
        return io->ival / 32768.0;
    return io->ival;
}

static bool object_matches(const ex_iec104 *x, uint8_t type, const iec104_io *io) {
    if (x->ioa >= 0 && io->ioa != (uint32_t)x->ioa)
        return false;
    if (x->has_value && fabs(object_value(type, io) - x->value) > x->tolerance)
        return false;
    if (x->quality >= 0 && io->q != x->quality)
        return false;
    if (x->time_tag) {
        if (!iec104_type_has_time(type))
            return false;
        int64_t ms;
        bool valid = !io->t.iv && iec104_cp56_to_ms(&io->t, &ms);
        if (valid != (strcmp(x->time_tag, "valid") == 0))
            return false;
    }
    return true;
}

static const char *const u_names[][2] = {
    {"STARTDT_ACT", "\x07"}, {"STARTDT_CON", "\x0B"}, {"STOPDT_ACT", "\x13"},
    {"STOPDT_CON", "\x23"},  {"TESTFR_ACT", "\x43"},  {"TESTFR_CON", "\x83"}};

static bool frame_kind_matches(const char *want, const iec104_apdu *f) {
    if (!want)
        return true;
    if (!strcmp(want, "I"))
        return f->kind == IEC104_FRAME_I;
    if (!strcmp(want, "S"))
        return f->kind == IEC104_FRAME_S;
    if (!strcmp(want, "U"))
        return f->kind == IEC104_FRAME_U;
    for (size_t i = 0; i < sizeof u_names / sizeof u_names[0]; i++)
        if (!strcmp(want, u_names[i][0]))
            return f->kind == IEC104_FRAME_U && f->u == (uint8_t)u_names[i][1][0];
    return false;
}

static bool is_note_frame(const char *frame) {
    return frame && (!strcmp(frame, "connected") || !strcmp(frame, "closed") ||
                     !strcmp(frame, "refused"));
}

/* How many frames (or objects) of one record match. */
static long long matches(const ex_iec104 *x, const trace_rec *r) {
    if (is_note_frame(x->frame)) {
        if (r->dir != TRACE_NOTE)
            return 0;
        if (!strcmp(x->frame, "closed"))
            return strncmp(r->event, "closed by the gateway", 21) == 0 ||
                   strncmp(r->event, "connection reset", 16) == 0;
        if (!strcmp(x->frame, "refused"))
            return strncmp(r->event, "connect refused", 15) == 0;
        return strncmp(r->event, "connected", 9) == 0;
    }
    if (r->dir != (x->from_master ? TRACE_BUS_TO_GW : TRACE_GW_TO_BUS))
        return 0;
    iec104_apdu f;
    if (iec104_apdu_parse(r->bytes, r->len, &f) < 0 || !frame_kind_matches(x->frame, &f))
        return 0;
    bool asdu_filter = x->type >= 0 || x->cot >= 0 || x->negative >= 0 || x->ca >= 0 ||
                       x->object_level;
    if (!asdu_filter)
        return 1;
    if (f.kind != IEC104_FRAME_I)
        return 0;
    static iec104_asdu a;
    int rc = iec104_asdu_decode(f.asdu, f.asdu_len, &a);
    /* an ASDU whose objects do not decode (unknown type, wrong length: what a server
     * mirrors back of a malformed request) still matches on its 6-octet header */
    if (rc < 0 && (x->object_level || f.asdu_len < 6))
        return 0;
    if ((x->type >= 0 && a.type != x->type) || (x->cot >= 0 && a.cot != x->cot) ||
        (x->negative >= 0 && a.negative != (x->negative == 1)) || (x->ca >= 0 && a.ca != x->ca))
        return 0;
    if (!x->object_level)
        return 1;
    long long n = 0;
    for (unsigned k = 0; k < a.n; k++)
        n += object_matches(x, a.type, &a.io[k]);
    return n;
}

static void describe(const ex_iec104 *x, const expectation *ex, char *out, size_t cap) {
    size_t n = 0;
#define ADD(...) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__)
    ADD("iec104 %s%s", x->master ? x->master : "any master",
        x->from_master ? " sends" : " receives");
    if (x->frame) ADD(" %s", x->frame);
    if (x->type >= 0) ADD(" %s", iec104_type_name((uint8_t)x->type) ? iec104_type_name((uint8_t)x->type) : "type");
    if (x->cot >= 0) ADD(" cot=%s", iec104_cot_name((uint8_t)x->cot) ? iec104_cot_name((uint8_t)x->cot) : "?");
    if (x->negative >= 0) ADD(x->negative ? " negative" : " positive");
    if (x->ioa >= 0) ADD(" ioa=%lld", x->ioa);
    if (x->has_value) ADD(" value=%g", x->value);
    if (x->quality >= 0) ADD(" q=%02X", x->quality);
    if (x->time_tag) ADD(" time tag %s", x->time_tag);
    if (x->after_ns > 0) ADD(" after %.3fs", x->after_ns / 1e9);
    if (x->before_ns < INT64_MAX) ADD(" before %.3fs", x->before_ns / 1e9);
    if (ex->min == ex->max) ADD(", count %lld", ex->min);
    else if (ex->max >= 100000000) ADD(", at least %lld", ex->min);
    else ADD(", count %lld..%lld", ex->min, ex->max);
#undef ADD
}

bool expect_eval_iec104(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const ex_iec104 *x = &ex->iec104;
    char want[512], ch[48];
    describe(x, ex, want, sizeof want);
    if (x->master)
        snprintf(ch, sizeof ch, "iec104:%s", x->master);
    long long n = 0;
    int64_t first = -1, last = -1;
    for (size_t i = 0; ctx->tr && i < ctx->tr->n; i++) {
        const trace_rec *r = &ctx->tr->recs[i];
        if (x->master ? strcmp(r->ch, ch) != 0 : strncmp(r->ch, "iec104:", 7) != 0)
            continue;
        if (r->t_ns < x->after_ns || r->t_ns > x->before_ns)
            continue;
        long long k = matches(x, r);
        if (k && first < 0)
            first = r->t_ns;
        if (k)
            last = r->t_ns;
        n += k;
    }
    bool ok = n >= ex->min && n <= ex->max;
    if (ok && n)
        snprintf(msg, cap, "%s: %lld (first at %.3fs, last at %.3fs)", want, n, first / 1e9,
                 last / 1e9);
    else if (ok)
        snprintf(msg, cap, "%s: none", want);
    else if (n)
        snprintf(msg, cap, "%s: observed %lld, first at %.3fs", want, n, first / 1e9);
    else
        snprintf(msg, cap, "%s: observed none", want);
    return ok;
}
