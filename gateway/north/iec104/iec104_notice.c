/* iec104_notice: the server's events for the datahub (stored in the events
 * table), shared by the admission and the application. */
#include <stdarg.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/log.h"
#include "north/iec104/iec104_int.h"

void iec104_notice(datahub *hub, const char *kind, const char *fmt, ...) {
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dh_event e = {.source = "iec104", .kind = kind, .text = text, .ts_ns = clock_wall_ns()};
    datahub_event(hub, &e);
}

/* ---- what a hostile master can provoke, limited ---- */

static const struct {
    const char *kind, *what, *counter;
} hostile_names[IEC104_HOSTILE_KINDS] = {
    [IEC104_HOSTILE_MALFORMED] = {"malformed_asdu", "malformed ASDUs", "iec104/malformed_asdus"},
    [IEC104_HOSTILE_REFUSED] = {"refused", "refused connections", "iec104/refused"},
    [IEC104_HOSTILE_PROTOCOL] = {"protocol_error", "connections closed for protocol errors",
                                 "protocol errors"},
};

static uint64_t hostile_count(const iec104_server *srv, iec104_hostile kind) {
    switch (kind) {
    case IEC104_HOSTILE_MALFORMED: return srv->malformed_asdus;
    case IEC104_HOSTILE_REFUSED: return srv->refused;
    default: return srv->protocol_errors;
    }
}

static void hostile_summary(void *arg, uint64_t left_out, int64_t interval_ns) {
    const iec104_hostile_arg *a = arg;
    char text[200];
    snprintf(text, sizeof text,
             "%llu more %s in %lld s not told one by one (%s: %llu since the start)",
             (unsigned long long)left_out, hostile_names[a->kind].what,
             (long long)(interval_ns / NS_PER_S), hostile_names[a->kind].counter,
             (unsigned long long)hostile_count(a->srv, a->kind));
    log_warn(MOD_IEC104, "%s", text);
    iec104_notice(a->srv->hub, hostile_names[a->kind].kind, "%s", text);
}

void iec104_hostile_init(iec104_server *srv) {
    for (int k = 0; k < IEC104_HOSTILE_KINDS; k++) {
        srv->hostile_arg[k] = (iec104_hostile_arg){.srv = srv, .kind = (iec104_hostile)k};
        event_limit_init(&srv->hostile[k], srv->loop, EVENT_LIMIT_BURST, EVENT_LIMIT_INTERVAL_NS,
                         hostile_summary, &srv->hostile_arg[k]);
    }
}

bool iec104_hostile_take(iec104_server *srv, iec104_hostile kind) {
    return event_limit_take(&srv->hostile[kind]);
}

void iec104_hostile_stop(iec104_server *srv) {
    for (int k = 0; k < IEC104_HOSTILE_KINDS; k++)
        event_limit_flush(&srv->hostile[k]);
}
