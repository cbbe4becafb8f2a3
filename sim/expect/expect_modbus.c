/* expect_modbus: Modbus expectations on the trace (see expect_modbus.h). */
#include "sim/expect/expect_modbus.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/expect/expect.h"
#include "sim/modbus/modbus_plan.h"
#include "sim/modbus/modbus_regs.h"

static bool parse_registers(const cfg_node *n, ex_modbus *x, cfg_err *err) {
    if (n->kind != CFG_SCALAR) return cfg_fail(err, n, "registers must be text: \"0x1234 0x5678\"");
    const char *p = n->scalar;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 0);
        if (end == p || v > 0xFFFF || x->n_registers == sizeof x->registers / sizeof x->registers[0])
            return cfg_fail(err, n, "registers must be numbers 0..0xFFFF separated by blanks");
        x->registers[x->n_registers++] = (uint16_t)v;
        p = end;
        while (*p == ' ' || *p == ',') p++;
    }
    return x->n_registers > 0 || cfg_fail(err, n, "registers is empty");
}

static bool parse_equals(const cfg_node *m, ex_modbus *x, cfg_err *err) {
    const cfg_node *eq = cfg_get(m, "equals");
    if (!eq) return true;
    x->has_equals = true;
    if (eq->kind == CFG_SCALAR && strcasecmp(eq->scalar, "nan") == 0) {
        x->equals_nan = true;
        return true;
    }
    return cfg_double(m, "equals", 0, &x->equals, err);
}

static bool parse_filters(const cfg_node *m, ex_modbus *x, cfg_err *err) {
    const char *bank, *format, *order;
    long long fc, unit;
    if (!cfg_str(m, "master", NULL, &x->master, err) || !cfg_str(m, "meter", NULL, &x->meter, err) ||
        !cfg_str(m, "bank", NULL, &bank, err) || !cfg_int(m, "function", -1, 1, 127, &fc, err) ||
        !cfg_int(m, "unit", -1, 0, 255, &unit, err) ||
        !cfg_int(m, "address", -1, 0, 65535, &x->address, err) ||
        !cfg_str(m, "format", NULL, &format, err) || !cfg_str(m, "byte_order", "ABCD", &order, err) ||
        !cfg_duration_ns(m, "after", 0, &x->after_ns, err) ||
        !cfg_duration_ns(m, "before", INT64_MAX, &x->before_ns, err))
        return false;
    if (!x->master == !x->meter) return cfg_fail(err, m, "give exactly one of master or meter");
    x->unit = (int)unit;
    x->function = (int)fc;
    if (bank) {
        mb_bank b;
        if (fc >= 0) return cfg_fail(err, m, "give bank or function, not both");
        if (!mb_bank_parse(bank, &b))
            return cfg_fail(err, cfg_get(m, "bank"), "bank must be coils, discrete, input or holding");
        x->function = mb_bank_function(b);
    }
    mr_format f = x->function == 1 || x->function == 2 ? MR_BOOL : MR_UINT16;
    mr_order o;
    if (format && !mr_format_parse(format, &f))
        return cfg_fail(err, cfg_get(m, "format"), "unknown format %s", format);
    if (!mr_order_parse(order, &o))
        return cfg_fail(err, cfg_get(m, "byte_order"), "byte_order must be ABCD, DCBA, CDAB or BADC");
    x->format = f;
    x->order = o;
    return true;
}

bool expect_parse_modbus(const cfg_node *m, expectation *ex, cfg_err *err) {
    static const char *const keys[] = {"master", "meter", "bank", "function", "unit", "address",
                                       "format", "byte_order", "equals", "tolerance", "registers",
                                       "exception", "timeout", "after", "before", "count", "min",
                                       "max", NULL};
    ex_modbus *x = &ex->modbus;
    long long exc, count;
    if (!cfg_only_keys(m, keys, err) || !parse_filters(m, x, err) || !parse_equals(m, x, err) ||
        !cfg_double(m, "tolerance", 1e-9, &x->tolerance, err) ||
        !cfg_int(m, "exception", -1, 1, 255, &exc, err) || !cfg_bool(m, "timeout", false, &x->timeout, err) ||
        !cfg_int(m, "count", -1, -1, 100000000, &count, err) ||
        !cfg_int(m, "min", count >= 0 ? count : 1, 0, 100000000, &ex->min, err) ||
        !cfg_int(m, "max", count >= 0 ? count : 100000000, 0, 100000000, &ex->max, err))
        return false;
    x->exception = (int)exc;
    x->counted = cfg_get(m, "count") || cfg_get(m, "min") || cfg_get(m, "max");
    if (ex->min > ex->max) return cfg_fail(err, m, "min is larger than max");
    const cfg_node *regs = cfg_get(m, "registers");
    if (regs && !parse_registers(regs, x, err)) return false;
    int outcomes = (x->exception > 0) + x->timeout + (x->has_equals || x->n_registers > 0);
    if (outcomes > 1) return cfg_fail(err, m, "give one of equals/registers, exception or timeout");
    if (x->meter && outcomes) return cfg_fail(err, m, "a meter expectation counts requests only");
    if (x->master && (x->has_equals || x->n_registers) && x->address < 0)
        return cfg_fail(err, m, "equals and registers need address");
    return true;
}

/* ---- the trace ---- */

typedef enum { RK_ANSWER, RK_EXCEPTION, RK_TIMEOUT, RK_REQUEST } rec_kind;

typedef struct rec_info {
    rec_kind kind;
    unsigned code, fc, a, n;
    int unit;
    bool ranged;   /* a/n known (read functions) */
    bool tcp;
} rec_info;

static bool parse_tail(const char *s, rec_info *ri) {
    char link[4] = "";
    int got = sscanf(s, "fc=%u u=%d a=%u n=%u %3s", &ri->fc, &ri->unit, &ri->a, &ri->n, link);
    if (got < 2) return false;
    ri->ranged = got >= 4;
    ri->tcp = strcmp(link, "tcp") == 0;
    if (!ri->ranged) ri->tcp = strstr(s, " tcp") != NULL;
    return true;
}

static bool classify(const trace_rec *r, bool master, rec_info *ri) {
    memset(ri, 0, sizeof *ri);
    const char *e = r->event;
    if (!master) {
        ri->kind = RK_REQUEST;
        return r->dir == TRACE_GW_TO_BUS && parse_tail(e, ri);
    }
    if (r->dir == TRACE_NOTE && strncmp(e, "timeout ", 8) == 0) {
        ri->kind = RK_TIMEOUT;
        return parse_tail(e + 8, ri);
    }
    if (r->dir != TRACE_GW_TO_BUS) return false;
    if (strncmp(e, "answer fc=", 10) == 0) {
        ri->kind = RK_ANSWER;
        return parse_tail(e + 7, ri);
    }
    int used = 0;
    if (sscanf(e, "exception %u %n", &ri->code, &used) == 1 && used > 0) {
        ri->kind = RK_EXCEPTION;
        return parse_tail(e + used, ri);
    }
    return false;
}

static unsigned span(const ex_modbus *x, unsigned fc) {
    return fc == 3 || fc == 4 ? mr_registers((mr_format)x->format) : 1;
}

static bool selected(const ex_modbus *x, const trace_rec *r, const rec_info *ri, bool whole) {
    if (r->t_ns < x->after_ns || r->t_ns > x->before_ns) return false;
    if (x->function >= 0 && ri->fc != (unsigned)x->function) return false;
    if (x->unit >= 0 && ri->unit != x->unit) return false;
    if (x->address < 0) return true;
    if (!ri->ranged) return false;
    if (!whole && ri->a == x->address) return true; /* a request of count 0 starts there */
    unsigned need = whole ? span(x, ri->fc) : 1;
    return ri->a <= x->address && x->address + need <= (long long)ri->a + ri->n;
}

/* The items of an answer at the expectation's address; false when too short. */
static bool answer_items(const ex_modbus *x, const trace_rec *r, const rec_info *ri, uint16_t *items,
                         size_t count) {
    size_t hdr = ri->tcp ? 7 : 1;
    if (r->len < hdr + 2) return false;
    const uint8_t *pdu = r->bytes + hdr;
    size_t bytes = pdu[1];
    if (r->len < hdr + 2 + bytes) return false;
    unsigned off = (unsigned)(x->address - ri->a);
    for (size_t i = 0; i < count; i++) {
        unsigned k = off + (unsigned)i;
        if (ri->fc <= 2) {
            if (k / 8 >= bytes) return false;
            items[i] = (pdu[2 + k / 8] >> (k % 8)) & 1;
        } else {
            if (2 * k + 1 >= bytes) return false;
            items[i] = (uint16_t)(pdu[2 + 2 * k] << 8 | pdu[3 + 2 * k]);
        }
    }
    return true;
}

static void describe_items(const uint16_t *items, size_t n, char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 8 < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s0x%04X", i ? " " : "", items[i]);
}

/* Does one answer/exception/timeout satisfy the expectation? observed gets what it was. */
static bool holds(const ex_modbus *x, const trace_rec *r, const rec_info *ri, char *obs, size_t cap) {
    if (ri->kind == RK_TIMEOUT) {
        snprintf(obs, cap, "no answer (timeout)");
        return x->timeout;
    }
    if (ri->kind == RK_EXCEPTION) {
        snprintf(obs, cap, "exception %u", ri->code);
        return x->exception > 0 && ri->code == (unsigned)x->exception;
    }
    if (x->timeout || x->exception > 0) {
        snprintf(obs, cap, "an answer");
        return false;
    }
    uint16_t items[125];
    size_t n = x->n_registers ? x->n_registers : span(x, ri->fc);
    if (x->address < 0 && !x->has_equals) {
        snprintf(obs, cap, "an answer");
        return true;
    }
    if (!answer_items(x, r, ri, items, n)) {
        snprintf(obs, cap, "an answer too short for the address");
        return false;
    }
    char text[200];
    describe_items(items, n, text, sizeof text);
    if (x->n_registers) {
        snprintf(obs, cap, "%s", text);
        return memcmp(items, x->registers, n * sizeof items[0]) == 0;
    }
    double v = ri->fc <= 2 ? items[0] : mr_decode(items, (mr_format)x->format, (mr_order)x->order);
    snprintf(obs, cap, "%.10g (%s)", v, text);
    if (!x->has_equals) return true;
    if (x->equals_nan) return isnan(v);
    return fabs(v - x->equals) <= x->tolerance + 1e-12 * fabs(x->equals);
}

static void describe(const expectation *ex, char *out, size_t cap) {
    const ex_modbus *x = &ex->modbus;
    int n = snprintf(out, cap, "modbus %s %s", x->master ? "master" : "meter", x->master ? x->master : x->meter);
    if (x->function >= 0) n += snprintf(out + n, cap - (size_t)n, " fc=%d", x->function);
    if (x->unit >= 0) n += snprintf(out + n, cap - (size_t)n, " unit %d", x->unit);
    if (x->address >= 0) n += snprintf(out + n, cap - (size_t)n, " address %lld", x->address);
    static const char *const fmt[] = {"bool", "int16", "uint16", "int32", "uint32", "int64", "float32", "float64"};
    static const char *const ord[] = {"ABCD", "DCBA", "CDAB", "BADC"};
    if (x->has_equals) {
        n += snprintf(out + n, cap - (size_t)n, " %s %s = ", fmt[x->format], ord[x->order]);
        if (x->equals_nan) snprintf(out + n, cap - (size_t)n, "NaN");
        else snprintf(out + n, cap - (size_t)n, "%.10g", x->equals);
    } else if (x->n_registers) {
        n += snprintf(out + n, cap - (size_t)n, " registers ");
        describe_items(x->registers, x->n_registers, out + n, cap - (size_t)n);
    } else if (x->exception > 0) snprintf(out + n, cap - (size_t)n, " exception %d", x->exception);
    else if (x->timeout) snprintf(out + n, cap - (size_t)n, " no answer");
}

bool expect_eval_modbus(const expectation *ex, ex_context *ctx, char *msg, size_t cap) {
    const ex_modbus *x = &ex->modbus;
    const char *ch = x->master ? x->master : x->meter;
    char what[400], obs[300] = "nothing";
    describe(ex, what, sizeof what);
    long long matched = 0, held = 0;
    bool last_ok = false;
    for (size_t i = 0; ctx->tr && i < ctx->tr->n; i++) {
        const trace_rec *r = &ctx->tr->recs[i];
        rec_info ri;
        if (strcmp(r->ch, ch) != 0 || !classify(r, x->master != NULL, &ri)) continue;
        /* a value needs the whole range; an exception or a timeout the address only */
        bool whole = x->master && (x->has_equals || x->n_registers);
        if (!selected(x, r, &ri, whole)) continue;
        if (whole && ri.kind == RK_TIMEOUT) continue; /* a value is checked on what was answered */
        matched++;
        if (!x->master) continue;
        last_ok = holds(x, r, &ri, obs, sizeof obs);
        held += last_ok;
    }
    if (!x->master) {
        bool ok = matched >= ex->min && matched <= ex->max;
        if (ok) snprintf(msg, cap, "%s: %lld requests", what, matched);
        else snprintf(msg, cap, "%s: expected %lld..%lld requests, observed %lld", what, ex->min, ex->max, matched);
        return ok;
    }
    if (x->counted) {
        bool ok = held >= ex->min && held <= ex->max;
        if (ok) snprintf(msg, cap, "%s: %lld times", what, held);
        else snprintf(msg, cap, "%s: expected %lld..%lld times, observed %lld (of %lld answers)", what, ex->min,
                      ex->max, held, matched);
        return ok;
    }
    bool ok = matched > 0 && last_ok;
    if (ok) snprintf(msg, cap, "%s", what);
    else if (matched == 0) snprintf(msg, cap, "%s: expected an answer, observed none", what);
    else snprintf(msg, cap, "%s: expected that in the last answer, observed %s", what, obs);
    return ok;
}
