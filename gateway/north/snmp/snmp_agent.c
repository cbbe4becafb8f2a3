/* snmp_agent: net-snmp's agent library on gwd's loop (see snmp_agent.h).
 *
 * Why the agent library inside gwd rather than an AgentX subagent of snmpd: a
 * gateway then needs no second daemon to install, configure, secure and keep
 * alive, and nothing to reconnect when snmpd restarts; the price, net-snmp's
 * own socket I/O, is paid as with libcurl: its transports are opened here and
 * their receive/send functions wrapped so every datagram is counted on an
 * iochan, and net-snmp never waits: its descriptors are watched by the loop,
 * and the timeout snmp_select_info() asks for becomes a loop timer.
 * net-snmp reads no configuration file and keeps no state on disk here; its
 * VACM gets one read-only community (rocommunity <community> default). */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "core/clock.h"
#include "core/iochan.h"
#include "core/log.h"
#include "north/snmp/snmp_agent.h"
#include "north/snmp/snmp_mib.h"
#include "north/snmp/snmp_status.h"
#include "store/store_range.h"

#define MOD "snmp"
#define APP "gwd"
#define REPORT_CHECK_NS (10 * NS_PER_S) /* how often a failed report's queue is looked at */

/* not in the installed headers: agent/mibgroup/mibII/vacm_conf.h */
void init_vacm_conf(void);
void vacm_parse_rocommunity(const char *token, char *confline);

typedef struct counted {
    netsnmp_transport *t;
    iochan *ch;
    int (*recv)(netsnmp_transport *, void *, int, void **, int *);
    int (*send)(netsnmp_transport *, const void *, int, void **, int *);
} counted;

struct snmp_agent {
    const snmp_config *cfg;
    gw_loop *loop;
    datahub *hub;
    gw_store *store;
    int sub;
    snmp_status status;
    counted server;
    counted sinks[SNMP_MAX_TRAPS];
    netsnmp_session *sessions[SNMP_MAX_TRAPS];
    loop_timer_id timeout, report_check;
    int64_t start_mono;
    unsigned traps_sent;
};

static snmp_agent *the_agent; /* net-snmp is one per process, and so is this */

/* ---- counting ------------------------------------------------------------------------ */

static counted *counted_of(netsnmp_transport *t) {
    snmp_agent *a = the_agent;
    if (a->server.t == t) return &a->server;
    for (size_t i = 0; i < a->cfg->n_traps; i++)
        if (a->sinks[i].t == t) return &a->sinks[i];
    return NULL;
}

static int counted_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olen) {
    counted *c = counted_of(t);
    int n = c->recv(t, buf, size, opaque, olen);
    if (n > 0) iochan_count_rx(c->ch, 1);
    return n;
}

static int counted_send(netsnmp_transport *t, const void *buf, int size, void **opaque, int *olen) {
    counted *c = counted_of(t);
    int n = c->send(t, buf, size, opaque, olen);
    if (n > 0) iochan_count_tx(c->ch, 1);
    return n;
}

static bool count(counted *c, netsnmp_transport *t, const char *name) {
    c->t = t;
    c->recv = t->f_recv;
    c->send = t->f_send;
    t->f_recv = counted_recv;
    t->f_send = counted_send;
    return (c->ch = iochan_open(t->sock, name, true)) != NULL;
}

/* ---- net-snmp on the loop ---------------------------------------------------------------- */

static void schedule(snmp_agent *a);

static void on_timeout(gw_loop *loop, void *arg) {
    snmp_agent *a = arg;
    a->timeout = 0;
    snmp_timeout();
    run_alarms();
    schedule(a);
}

/* net-snmp's own wish for a timeout (retransmissions, alarms) as a loop timer. */
static void schedule(snmp_agent *a) {
    int numfds = 0, block = 1;
    fd_set fds;
    struct timeval tv = {0, 0};
    FD_ZERO(&fds);
    snmp_select_info(&numfds, &fds, &tv, &block);
    loop_timer_cancel(a->loop, a->timeout);
    a->timeout = block ? 0 : loop_timer_after(a->loop, tv.tv_sec * NS_PER_S + tv.tv_usec * 1000LL, on_timeout, a);
}

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    snmp_agent *a = arg;
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    snmp_read(&fds);
    schedule(a);
}

/* ---- the MIB -------------------------------------------------------------------------------- */

static void set_value(netsnmp_variable_list *vb, const snmp_mib_var *v) {
    long l = (long)v->number;
    u_long u = (u_long)v->number;
    switch (v->type) {
    case MIBV_INTEGER: snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof l); break;
    case MIBV_GAUGE: snmp_set_var_typed_value(vb, ASN_GAUGE, &u, sizeof u); break;
    case MIBV_COUNTER: snmp_set_var_typed_value(vb, ASN_COUNTER, &u, sizeof u); break;
    case MIBV_UNSIGNED: snmp_set_var_typed_value(vb, ASN_UNSIGNED, &u, sizeof u); break;
    case MIBV_STRING: snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->text, strlen(v->text)); break;
    }
}

static int handle(netsnmp_mib_handler *h, netsnmp_handler_registration *reg, netsnmp_agent_request_info *info,
                  netsnmp_request_info *requests) {
    snmp_agent *a = the_agent;
    size_t n;
    snmp_mib_var *vars = snmp_mib_build(&a->status, &n);
    for (netsnmp_request_info *r = requests; r; r = r->next) {
        netsnmp_variable_list *vb = r->requestvb;
        uint32_t oid32[GWD_OID_MAX + 8];
        size_t len = vb->name_length < GWD_OID_MAX + 8 ? vb->name_length : GWD_OID_MAX + 8;
        for (size_t i = 0; i < len; i++) oid32[i] = (uint32_t)vb->name[i];
        bool next = info->mode == MODE_GETNEXT;
        const snmp_mib_var *v = vars ? snmp_mib_find(vars, n, oid32, len, next) : NULL;
        if (info->mode != MODE_GET && info->mode != MODE_GETNEXT) {
            netsnmp_set_request_error(info, r, SNMP_ERR_NOTWRITABLE);
        } else if (!v) {
            if (!next) netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
        } else {
            oid name[GWD_OID_MAX];
            for (size_t i = 0; i < v->len; i++) name[i] = v->oid[i];
            if (next) snmp_set_var_objid(vb, name, v->len);
            set_value(vb, v);
        }
    }
    free(vars);
    return SNMP_ERR_NOERROR;
}

/* ---- traps ------------------------------------------------------------------------------------ */

static void add_integer(netsnmp_pdu *pdu, uint32_t id, long value) {
    oid name[] = {GWD_MIB_BASE, 1, id, 0};
    snmp_pdu_add_variable(pdu, name, OID_LENGTH(name), ASN_INTEGER, &value, sizeof value);
}

static void send_traps(snmp_agent *a) {
    static oid uptime[] = {1, 3, 6, 1, 2, 1, 1, 3, 0}, trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
    static oid change[] = {GWD_MIB_BASE, 2, 0, 1}; /* gwdStatusChange */
    log_info(MOD, "status %d (readout %d, reports %d): trap to %zu receivers", a->status.aggregated,
             a->status.readout, a->status.report, a->cfg->n_traps);
    for (size_t i = 0; i < a->cfg->n_traps; i++) {
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
        u_long ticks = (u_long)((clock_mono_ns() - a->start_mono) / 10000000LL);
        snmp_pdu_add_variable(pdu, uptime, OID_LENGTH(uptime), ASN_TIMETICKS, &ticks, sizeof ticks);
        snmp_pdu_add_variable(pdu, trap_oid, OID_LENGTH(trap_oid), ASN_OBJECT_ID, change, sizeof change);
        add_integer(pdu, 1, a->status.aggregated);
        add_integer(pdu, 2, a->status.readout);
        add_integer(pdu, 3, a->status.report);
        if (!a->sessions[i] || !snmp_send(a->sessions[i], pdu)) {
            log_warn(MOD, "trap to %s:%lld not sent", a->cfg->traps[i].host, a->cfg->traps[i].port);
            snmp_free_pdu(pdu);
        } else {
            a->traps_sent++;
        }
    }
    schedule(a);
}

static size_t queued(void *arg, const char *instance) {
    snmp_agent *a = arg;
    return a->store ? store_outbox_count(a->store, instance) : 0;
}

static void seen(void *arg, const char *instance) { snmp_status_report_seen(&((snmp_agent *)arg)->status, instance); }

static void evaluate(snmp_agent *a) {
    store_outbox_instances(a->store, seen, a);
    if (snmp_status_evaluate(&a->status, queued, a)) send_traps(a);
}

static void on_update(const dh_update *u, void *arg) {
    snmp_agent *a = arg;
    if (snmp_status_update(&a->status, u)) evaluate(a);
}

static void on_report_check(gw_loop *loop, void *arg) {
    snmp_agent *a = arg;
    evaluate(a);
    a->report_check = loop_timer_after(a->loop, REPORT_CHECK_NS, on_report_check, a);
}

/* ---- start and stop --------------------------------------------------------------------------- */

/* net-snmp's messages go to gwd's log: errors as warnings, the rest at debug. */
static bool starting; /* net-snmp's start-up complaints (MIB files it looks for) are debug */

static int on_log(int major, int minor, void *server, void *client) {
    const struct snmp_log_message *m = server;
    size_t n = m->msg ? strlen(m->msg) : 0;
    while (n && (m->msg[n - 1] == '\n' || m->msg[n - 1] == '\r')) n--;
    if (m->priority <= LOG_ERR && !starting) log_warn(MOD, "net-snmp: %.*s", (int)n, m->msg ? m->msg : "");
    else log_debug(MOD, "net-snmp: %.*s", (int)n, m->msg ? m->msg : "");
    return 0;
}

static void settings(void) {
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 0); /* master */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_ROOT_ACCESS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_DONT_LOG_TCPWRAPPERS_CONNECTS, 1);
    /* the agent serves its own OIDs and reads no MIB files; net-snmp keeps no
     * state (certificate indexes) on the gateway's disk: a folder it cannot make */
    netsnmp_set_mib_directory("");
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, "/proc/gwd-snmp-keeps-no-state");
    snmp_disable_log();
    snmp_enable_calllog();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_log, NULL);
}

static bool open_server(snmp_agent *a, char *err, size_t cap) {
    char spec[64], name[48], line[96];
    snprintf(spec, sizeof spec, "udp:%s:%lld", a->cfg->bind, a->cfg->port);
    netsnmp_transport *t = netsnmp_transport_open_server("snmp", spec);
    if (!t) {
        snprintf(err, cap, "snmp: cannot listen on %s", spec);
        return false;
    }
    snprintf(name, sizeof name, "udp:%lld:snmp", a->cfg->port);
    if (!count(&a->server, t, name) || netsnmp_register_agent_nsap(t) == 0) {
        snprintf(err, cap, "snmp: cannot serve on %s", spec);
        return false;
    }
    snprintf(line, sizeof line, "%s default", a->cfg->community);
    vacm_parse_rocommunity("rocommunity", line);
    return loop_add_fd(a->loop, t->sock, LOOP_READ, on_readable, a) == 0;
}

static void open_sinks(snmp_agent *a) {
    for (size_t i = 0; i < a->cfg->n_traps; i++) {
        char spec[64], name[48];
        snprintf(spec, sizeof spec, "udp:%s:%lld", a->cfg->traps[i].host, a->cfg->traps[i].port);
        netsnmp_transport *t = netsnmp_transport_open_client("snmptrap", spec);
        snprintf(name, sizeof name, "udp:snmptrap:%lld", a->cfg->traps[i].port);
        if (!t || !count(&a->sinks[i], t, name)) {
            log_warn(MOD, "trap receiver %s: cannot open", spec);
            continue;
        }
        netsnmp_session s;
        snmp_sess_init(&s);
        s.version = SNMP_VERSION_2c;
        s.community = (u_char *)a->cfg->trap_community;
        s.community_len = strlen(a->cfg->trap_community);
        if (!(a->sessions[i] = snmp_add(&s, t, NULL, NULL))) log_warn(MOD, "trap receiver %s: no session", spec);
    }
}

snmp_agent *snmp_agent_start(const snmp_config *cfg, gw_loop *loop, datahub *hub, gw_store *store, char *err,
                             size_t cap) {
    static oid base[] = {GWD_MIB_BASE, 1};
    if (the_agent) {
        snprintf(err, cap, "snmp: one agent per process");
        return NULL;
    }
    snmp_agent *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    *a = (snmp_agent){.cfg = cfg, .loop = loop, .hub = hub, .store = store, .start_mono = clock_mono_ns()};
    snmp_status_init(&a->status);
    the_agent = a;
    starting = true;
    settings();
    init_agent(APP);
    init_vacm_conf();
    init_snmp(APP);
    starting = false;
    netsnmp_handler_registration *reg =
        netsnmp_create_handler_registration("gwdStatus", handle, base, OID_LENGTH(base), HANDLER_CAN_RONLY);
    if (!open_server(a, err, cap) || !reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
        if (!*err) snprintf(err, cap, "snmp: cannot register the MIB");
        snmp_agent_stop(a);
        return NULL;
    }
    open_sinks(a);
    a->sub = datahub_subscribe(hub, on_update, a);
    a->report_check = loop_timer_after(loop, REPORT_CHECK_NS, on_report_check, a);
    schedule(a);
    log_info(MOD, "SNMP v2c agent on udp %s:%lld (community %s), %zu trap receivers", cfg->bind, cfg->port,
             cfg->community, cfg->n_traps);
    return a;
}

void snmp_agent_stop(snmp_agent *a) {
    if (!a) return;
    if (a->hub && a->sub >= 0) datahub_unsubscribe(a->hub, a->sub);
    loop_timer_cancel(a->loop, a->timeout);
    loop_timer_cancel(a->loop, a->report_check);
    if (a->server.t) loop_del_fd(a->loop, a->server.t->sock);
    for (size_t i = 0; i < SNMP_MAX_TRAPS; i++) {
        if (a->sessions[i]) snmp_close(a->sessions[i]);
        if (a->sinks[i].ch) iochan_close(a->sinks[i].ch);
    }
    if (a->server.ch) iochan_close(a->server.ch);
    snmp_shutdown(APP);
    shutdown_agent();
    snmp_status_free(&a->status);
    the_agent = NULL;
    free(a);
}
