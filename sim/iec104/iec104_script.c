/* iec104_script: parsing of the scripted IEC 104 masters (see iec104_script.h). */
#include "sim/iec104/iec104_script.h"
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "codec/iec104/iec104.h"

static const char *const step_names[] = {
    "connect", "disconnect", "startdt", "stopdt", "testfr", "gi", "ci", "clock_sync",
    "read", "command", "raw", "ack", "answer_testfr", "storm", NULL};

static bool parse_hex(const cfg_node *n, iec104_step *s, cfg_err *err) {
    const char *p = n->scalar;
    s->raw_len = 0;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        char byte[3] = {p[0], p[1], 0};
        char *end;
        unsigned long v = strtoul(byte, &end, 16);
        if (!p[1] || *end || s->raw_len == sizeof s->raw)
            return cfg_fail(err, n, "hex must be pairs of hex digits (an ASDU, at most 249 octets)");
        s->raw[s->raw_len++] = (uint8_t)v;
        p += 2;
    }
    /* shorter than an ASDU header is allowed: a hostile master sends such frames */
    return s->raw_len >= 1 || cfg_fail(err, n, "hex: at least one octet");
}

static bool parse_cot(const cfg_node *m, iec104_step *s, int def, cfg_err *err) {
    const char *cot;
    if (!cfg_str(m, "cot", NULL, &cot, err))
        return false;
    s->cot = cot ? iec104_cot_parse(cot) : def;
    return s->cot > 0 || cfg_fail(err, cfg_get(m, "cot"), "unknown cause of transmission %s", cot);
}

static bool parse_command(const cfg_node *m, iec104_step *s, cfg_err *err) {
    const char *type;
    long long ioa, value;
    if (!cfg_str(m, "type", "C_SC_NA_1", &type, err) ||
        !cfg_int(m, "ioa", 0, 0, IEC104_IOA_MAX, &ioa, err) ||
        !cfg_int(m, "value", 1, 0, 3, &value, err) || !cfg_bool(m, "select", false, &s->select, err) ||
        !cfg_duration_ns(m, "age", 0, &s->age_ns, err) || !parse_cot(m, s, COT_ACT, err))
        return false;
    const cfg_node *ahead = cfg_get(m, "ahead");
    if (ahead) {
        int64_t a;
        if (!cfg_duration_ns(m, "ahead", 0, &a, err))
            return false;
        s->age_ns = -a;
    }
    s->type = iec104_type_parse(type);
    if (s->type != C_SC_NA_1 && s->type != C_DC_NA_1 && s->type != C_SC_TA_1 &&
        s->type != C_DC_TA_1)
        return cfg_fail(err, cfg_get(m, "type"), "type must be C_SC_NA_1, C_DC_NA_1, C_SC_TA_1 or C_DC_TA_1");
    s->ioa = (uint32_t)ioa;
    s->value = (int)value;
    return true;
}

static bool parse_params(const cfg_node *m, iec104_step *s, cfg_err *err) {
    long long v, ioa, ca, count;
    if (!cfg_int(m, "ca", -1, -1, 65535, &ca, err))
        return false;
    s->ca = (int)ca;
    switch (s->kind) {
    case IS_CONNECT: return cfg_duration_ns(m, "retry", 0, &s->retry_ns, err);
    case IS_GI:
        if (!cfg_int(m, "qoi", 20, 0, 255, &v, err) || !parse_cot(m, s, COT_ACT, err))
            return false;
        s->value = (int)v;
        return true;
    case IS_CI:
        if (!cfg_int(m, "qcc", 5, 0, 255, &v, err) || !parse_cot(m, s, COT_ACT, err))
            return false;
        s->value = (int)v;
        return true;
    case IS_CLOCK_SYNC: return cfg_duration_ns(m, "offset", 0, &s->offset_ns, err);
    case IS_READ:
        if (!cfg_int(m, "ioa", 0, 0, IEC104_IOA_MAX, &ioa, err))
            return false;
        s->ioa = (uint32_t)ioa;
        return true;
    case IS_COMMAND: return parse_command(m, s, err);
    case IS_RAW: {
        const cfg_node *hex = cfg_require(m, "hex", CFG_SCALAR, err);
        return hex && parse_hex(hex, s, err);
    }
    case IS_ACK:
    case IS_ANSWER_TESTFR: return cfg_bool(m, "enabled", true, &s->enabled, err);
    case IS_STORM:
        if (!cfg_int(m, "count", 10, 1, 100000, &count, err) ||
            !cfg_duration_ns(m, "every", 100 * NS_PER_MS, &s->every_ns, err))
            return false;
        s->count = (int)count;
        return true;
    default: return true;
    }
}

static bool parse_step(const cfg_node *m, iec104_step *s, cfg_err *err) {
    static const char *const keys[] = {"at", "do", "ca", "retry", "qoi", "qcc", "cot", "offset",
                                       "ioa", "type", "value", "select", "age", "ahead", "hex",
                                       "enabled", "count", "every", NULL};
    const char *what;
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "a step must be a map {at: TIME, do: ACTION, ...}");
    if (!cfg_only_keys(m, keys, err) || !cfg_require(m, "at", CFG_SCALAR, err) ||
        !cfg_require(m, "do", CFG_SCALAR, err) || !cfg_duration_ns(m, "at", 0, &s->at_ns, err) ||
        !cfg_str(m, "do", NULL, &what, err))
        return false;
    s->node = m;
    int kind = -1;
    for (int i = 0; step_names[i]; i++)
        if (strcmp(step_names[i], what) == 0)
            kind = i;
    if (kind < 0)
        return cfg_fail(err, cfg_get(m, "do"),
                        "unknown step %s (connect, disconnect, startdt, stopdt, testfr, gi, ci, "
                        "clock_sync, read, command, raw, ack, answer_testfr, storm)",
                        what);
    s->kind = (iec104_step_kind)kind;
    return parse_params(m, s, err);
}

static bool parse_master(const cfg_node *m, iec104_master_spec *ms, cfg_err *err) {
    static const char *const keys[] = {"name", "ca", "w", "t2", "script", NULL};
    long long ca, w;
    if (m->kind != CFG_MAP)
        return cfg_fail(err, m, "a master must be a map (name, script, ...)");
    if (!cfg_only_keys(m, keys, err) || !cfg_str(m, "name", "m1", &ms->name, err) ||
        !cfg_int(m, "ca", 1, 0, 65535, &ca, err) || !cfg_int(m, "w", 8, 1, 32767, &w, err) ||
        !cfg_duration_ns(m, "t2", 10 * NS_PER_S, &ms->t2_ns, err))
        return false;
    ms->ca = (int)ca;
    ms->w = (int)w;
    const cfg_node *script = cfg_require(m, "script", CFG_SEQ, err);
    if (!script)
        return false;
    ms->steps = calloc(script->n ? script->n : 1, sizeof *ms->steps);
    if (!ms->steps)
        return cfg_fail(err, m, "out of memory");
    for (size_t i = 0; i < script->n; i++) {
        if (!parse_step(script->items[i], &ms->steps[i], err))
            return false;
        ms->n_steps++;
        if (i && ms->steps[i].at_ns < ms->steps[i - 1].at_ns)
            return cfg_fail(err, cfg_get(script->items[i], "at"), "steps must be in time order");
    }
    return true;
}

iec104_plan *iec104_plan_parse(const cfg_node *node, cfg_err *err) {
    static const char *const keys[] = {"masters", NULL};
    if (node->kind != CFG_MAP) {
        cfg_fail(err, node, "iec104 must be a map {masters: [...]}");
        return NULL;
    }
    const cfg_node *list;
    if (!cfg_only_keys(node, keys, err) || !(list = cfg_require(node, "masters", CFG_SEQ, err)))
        return NULL;
    iec104_plan *plan = calloc(1, sizeof *plan);
    if (plan)
        plan->masters = calloc(list->n ? list->n : 1, sizeof *plan->masters);
    if (!plan || !plan->masters) {
        iec104_plan_free(plan);
        cfg_fail(err, node, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < list->n; i++) {
        iec104_master_spec *ms = &plan->masters[plan->n_masters++];
        if (!parse_master(list->items[i], ms, err)) {
            iec104_plan_free(plan);
            return NULL;
        }
        for (size_t k = 0; k + 1 < plan->n_masters; k++)
            if (strcmp(plan->masters[k].name, ms->name) == 0) {
                cfg_fail(err, list->items[i], "master %s defined twice", ms->name);
                iec104_plan_free(plan);
                return NULL;
            }
    }
    return plan;
}

void iec104_plan_free(iec104_plan *plan) {
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n_masters; i++)
        free(plan->masters[i].steps);
    free(plan->masters);
    free(plan);
}
