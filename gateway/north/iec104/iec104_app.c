/* iec104_app: what the server does with an ASDU from a master — general and
 * counter interrogation, read, clock synchronisation, single and double
 * commands (select-before-operate, direct execute, time tagged) — and the
 * negative confirmations of IEC 60870-5-101 7.2.3: unknown type (44), unknown
 * cause (45), unknown common address (46), unknown IOA (47), each the
 * received ASDU mirrored with that cause and the P/N bit set. */
#include <string.h>

#include "core/clock.h"
#include "north/iec104/iec104_int.h"
#include "core/log.h"

/* Mirror the received ASDU with another cause (and P/N). */
static void mirror(iec104_session *s, const uint8_t *asdu, size_t len, uint8_t cot, bool negative) {
    uint8_t copy[IEC104_ASDU_MAX];
    if (len < 6 || len > sizeof copy)
        return;
    memcpy(copy, asdu, len);
    copy[2] = (uint8_t)((copy[2] & 0x80) | (negative ? 0x40 : 0) | cot);
    iec104_conn_send_hp(s->conn, copy, len);
}

static void confirm(iec104_session *s, const iec104_asdu *a, uint8_t cot, bool negative) {
    iec104_asdu r = *a;
    r.cot = cot;
    r.negative = negative;
    iec104_conn_send_asdu_hp(s->conn, &r);
}

/* ---- interrogation ---- */

static bool wanted(const iec104_map *m, const interrogation *in) {
    if (iec104_map_is_command(m->type))
        return false;
    if (in->counters != iec104_map_is_counter(m->type))
        return false; /* integrated totals answer only counter interrogation */
    return in->group == 0 || m->group == in->group;
}

static bool next_response(iec104_session *s, interrogation *in, iec104_asdu *a) {
    iec104_server *srv = s->srv;
    memset(a, 0, offsetof(iec104_asdu, io));
    a->cot = in->cot;
    a->ca = srv->cfg->ca;
    while (in->next < srv->n_map) {
        iec104_map *m = &srv->map[in->next];
        uint8_t type = iec104_type_without_time(m->type);
        if (!wanted(m, in)) {
            in->next++;
            continue;
        }
        if (a->n && (type != a->type || a->n == iec104_max_objects(type)))
            break;
        a->type = type;
        iec104_map_fill(m, type, &a->io[a->n]);
        if (in->counters)
            a->io[a->n].bcr_seq = (uint8_t)(s->ci_seq & 0x1F);
        a->n++;
        in->next++;
    }
    if (a->n)
        return true;
    /* done: ACT_TERM repeats the activation */
    iec104_asdu term = {.type = in->counters ? C_CI_NA_1 : C_IC_NA_1, .n = 1,
                        .cot = COT_ACT_TERM, .ca = srv->cfg->ca};
    term.io[0].ioa = in->ioa;
    term.io[0].ival = in->qualifier;
    iec104_conn_send_asdu_hp(s->conn, &term);
    in->active = false;
    return false;
}

/* General interrogation first, then counter interrogation (as the window
 * opens, after command responses and spontaneous events). */
bool iec104_app_next_interrogation(iec104_session *s, iec104_asdu *a) {
    return (s->gi.active && next_response(s, &s->gi, a)) ||
           (s->ci.active && next_response(s, &s->ci, a));
}

static void on_interrogation(iec104_session *s, const iec104_asdu *a) {
    bool counters = a->type == C_CI_NA_1;
    interrogation *in = counters ? &s->ci : &s->gi;
    int q = a->io[0].ival;
    if (a->cot == COT_DEACT) {
        confirm(s, a, COT_DEACT_CON, !in->active);
        in->active = false;
        return;
    }
    int rqt = q & 0x3F;
    bool valid = counters ? rqt >= 1 && rqt <= IEC104_QCC_GENERAL
                          : q >= IEC104_QOI_STATION && q <= IEC104_QOI_STATION + 16;
    if (!valid) {
        confirm(s, a, COT_ACT_CON, true);
        return;
    }
    confirm(s, a, COT_ACT_CON, false);
    memset(in, 0, sizeof *in);
    in->active = true;
    in->counters = counters;
    in->qualifier = (uint8_t)q;
    in->ioa = a->io[0].ioa;
    if (counters) {
        /* no freeze here: the values are already the meters' own readings */
        in->group = rqt == IEC104_QCC_GENERAL ? 0 : rqt;
        in->cot = (uint8_t)(COT_REQCOGEN + in->group);
        s->ci_seq++;
    } else {
        in->group = q - IEC104_QOI_STATION;
        in->cot = (uint8_t)q; /* COT 20..36 equals QOI 20..36 */
    }
}

/* ---- read, clock ---- */

static void on_read(iec104_session *s, const iec104_asdu *a, const uint8_t *raw, size_t len) {
    long at = iec104_map_find_ioa(s->srv, a->io[0].ioa);
    if (at < 0 || iec104_map_is_command(s->srv->map[at].type)) {
        mirror(s, raw, len, COT_UNKNOWN_IOA, true);
        return;
    }
    const iec104_map *m = &s->srv->map[at];
    iec104_asdu r = {.type = iec104_type_without_time(m->type), .n = 1, .cot = COT_REQUEST,
                     .ca = s->srv->cfg->ca};
    iec104_map_fill(m, r.type, &r.io[0]);
    iec104_conn_send_asdu_hp(s->conn, &r);
}

/* The gateway keeps its time from NTP (CU-XE): the master's time is confirmed
 * and its offset logged, the system clock is not set. */
static void on_clock_sync(iec104_session *s, const iec104_asdu *a) {
    int64_t ms;
    if (!iec104_cp56_to_ms(&a->io[0].t, &ms)) {
        confirm(s, a, COT_ACT_CON, true);
        return;
    }
    log_info(MOD_IEC104, "%s: clock synchronisation, master is %+lld ms from the gateway",
             iec104_conn_peer(s->conn), (long long)(ms - clock_wall_ns() / 1000000));
    confirm(s, a, COT_ACT_CON, false);
}

/* ---- commands ---- */

static void execute(iec104_session *s, const iec104_map *m, int32_t state) {
    iec104_server *srv = s->srv;
    dh_command cmd = {.point = m->point, .source = "iec104", .ts_ns = clock_wall_ns()};
    dp point = {.id = m->point, .unit = "", .ts_ns = cmd.ts_ns};
    if (m->type == C_SC_NA_1) {
        cmd.value = (dp_value){.type = DP_BOOL, .b = state != 0};
    } else {
        cmd.value = (dp_value){.type = DP_INT, .i = state};
    }
    point.value = cmd.value;
    point.origin.record = -1;
    srv->commands++;
    log_info(MOD_IEC104, "%s: command %s = %d", iec104_conn_peer(s->conn), m->point, state);
    datahub_command(srv->hub, &cmd);
    datahub_publish(srv->hub, &point);
}

/* Time-tagged commands: refuse the stale and those from the future. */
static bool fresh(const iec104_session *s, const iec104_asdu *a) {
    int64_t ms;
    if (!iec104_type_has_time(a->type))
        return true;
    if (!iec104_cp56_to_ms(&a->io[0].t, &ms) || a->io[0].t.iv)
        return false;
    int64_t age_ns = clock_wall_ns() - ms * 1000000;
    const iec104_config *cfg = s->srv->cfg;
    if (age_ns > cfg->max_command_age_ns || -age_ns > cfg->max_command_ahead_ns) {
        log_warn(MOD_IEC104, "%s: time-tagged command %lld ms old refused",
                 iec104_conn_peer(s->conn), (long long)(age_ns / 1000000));
        return false;
    }
    return true;
}

static void on_command(iec104_session *s, const iec104_asdu *a, const uint8_t *raw, size_t len) {
    uint8_t base = iec104_type_without_time(a->type);
    long at = iec104_map_find_ioa(s->srv, a->io[0].ioa);
    if (at < 0 || s->srv->map[at].type != base) {
        mirror(s, raw, len, COT_UNKNOWN_IOA, true);
        return;
    }
    const iec104_map *m = &s->srv->map[at];
    selection *sel = &s->sel;
    int32_t state = a->io[0].ival;
    bool select = (a->io[0].q & IEC104_CMD_SELECT) != 0;
    int64_t now = clock_mono_ns();
    if (a->cot == COT_DEACT) {
        bool had = sel->active && sel->ioa == m->ioa && now < sel->deadline_ns;
        sel->active = false;
        confirm(s, a, COT_DEACT_CON, !had);
        return;
    }
    bool bad_state = base == C_DC_NA_1 && (state == 0 || state == 3);
    if (bad_state || !fresh(s, a)) {
        confirm(s, a, COT_ACT_CON, true);
        return;
    }
    if (select) {
        *sel = (selection){true, m->ioa, base, state, now + s->srv->cfg->select_timeout_ns};
        confirm(s, a, COT_ACT_CON, false);
        return;
    }
    bool selected = sel->active && sel->ioa == m->ioa && sel->state == state &&
                    now < sel->deadline_ns;
    sel->active = false;
    if (!selected && !s->srv->cfg->direct_commands) {
        log_warn(MOD_IEC104, "%s: execute without a valid select for IOA %u", iec104_conn_peer(s->conn),
                 m->ioa);
        confirm(s, a, COT_ACT_CON, true);
        return;
    }
    confirm(s, a, COT_ACT_CON, false);
    execute(s, m, state);
    if (s->srv->cfg->act_term)
        confirm(s, a, COT_ACT_TERM, false);
}

/* ---- dispatch ---- */

static bool cot_allowed(uint8_t type, uint8_t cot) {
    switch (type) {
    case C_RD_NA_1: return cot == COT_REQUEST;
    case C_CS_NA_1: return cot == COT_ACT;
    default: return cot == COT_ACT || cot == COT_DEACT;
    }
}

static bool control_type(const iec104_session *s, uint8_t type) {
    switch (type) {
    case C_SC_NA_1: case C_DC_NA_1: case C_IC_NA_1: case C_CI_NA_1: case C_RD_NA_1:
    case C_CS_NA_1:
        return true;
    case C_SC_TA_1: case C_DC_TA_1: return s->srv->cfg->time_tagged_commands;
    default: return false;
    }
}

/* A known type whose objects do not match its length (a command without its
 * qualifier, a count of 0, extra octets): counted, logged with its bytes, and
 * answered with the ASDU mirrored negatively with the most specific cause that
 * applies (IEC 60870-5-101 7.2.3): unknown common address, unknown cause of
 * transmission, else unknown information object (the object cannot be read). An
 * ASDU shorter than its 6-octet header cannot be identified: the framing is
 * broken and the connection is closed (false). */
static bool malformed(iec104_session *s, const uint8_t *raw, size_t len, int rc) {
    s->srv->malformed_asdus++;
    bool tell = iec104_hostile_take(s->srv, IEC104_HOSTILE_MALFORMED); /* a flood: summed up */
    if (tell)
        log_hex(LOG_LVL_WARN, MOD_IEC104, iec104_strerror(rc), raw, len);
    if (len < 6)
        return false;
    if (tell)
        iec104_notice(s->srv->hub, "malformed_asdu",
                      "%s:%d: type %u, %zu octets: %s; negative confirmation",
                      iec104_conn_peer(s->conn), iec104_conn_peer_port(s->conn), raw[0], len,
                      iec104_strerror(rc));
    uint16_t ca = (uint16_t)(raw[4] | raw[5] << 8);
    uint8_t cot = raw[2] & 0x3F;
    bool broadcast_ok = raw[0] == C_IC_NA_1 || raw[0] == C_CI_NA_1 || raw[0] == C_CS_NA_1;
    if (!control_type(s, raw[0])) /* as for a well-formed ASDU of that type */
        mirror(s, raw, len, COT_UNKNOWN_TYPE, true);
    else if (ca != s->srv->cfg->ca && !(broadcast_ok && ca == IEC104_CA_BROADCAST))
        mirror(s, raw, len, COT_UNKNOWN_CA, true);
    else if (!cot_allowed(raw[0], cot))
        mirror(s, raw, len, COT_UNKNOWN_COT, true);
    else
        mirror(s, raw, len, COT_UNKNOWN_IOA, true);
    return true;
}

bool iec104_app_handle(iec104_session *s, const uint8_t *raw, size_t len) {
    iec104_asdu a;
    int rc = iec104_asdu_decode(raw, len, &a);
    if (rc == IEC104_ERR_TYPE || (rc == 0 && !control_type(s, a.type))) {
        if (iec104_hostile_take(s->srv, IEC104_HOSTILE_MALFORMED))
            log_warn(MOD_IEC104, "%s: unknown type %u", iec104_conn_peer(s->conn), raw[0]);
        mirror(s, raw, len, COT_UNKNOWN_TYPE, true);
        return true;
    }
    if (rc < 0)
        return malformed(s, raw, len, rc);
    bool broadcast_ok = a.type == C_IC_NA_1 || a.type == C_CI_NA_1 || a.type == C_CS_NA_1;
    if (a.ca != s->srv->cfg->ca && !(broadcast_ok && a.ca == IEC104_CA_BROADCAST)) {
        mirror(s, raw, len, COT_UNKNOWN_CA, true);
        return true;
    }
    if (!cot_allowed(a.type, a.cot)) {
        mirror(s, raw, len, COT_UNKNOWN_COT, true);
        return true;
    }
    if (a.n != 1) {
        mirror(s, raw, len, COT_UNKNOWN_IOA, true);
        return true;
    }
    switch (a.type) {
    case C_IC_NA_1:
    case C_CI_NA_1:
    case C_CS_NA_1:
        if (a.io[0].ioa != 0) {
            mirror(s, raw, len, COT_UNKNOWN_IOA, true);
            return true;
        }
        if (a.type == C_CS_NA_1)
            on_clock_sync(s, &a);
        else
            on_interrogation(s, &a);
        return true;
    case C_RD_NA_1: on_read(s, &a, raw, len); return true;
    default: on_command(s, &a, raw, len); return true;
    }
}
