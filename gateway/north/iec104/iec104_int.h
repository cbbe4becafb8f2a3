/* iec104_int: what the files of the IEC 104 server share (not a public API). */
#ifndef GW_IEC104_INT_H
#define GW_IEC104_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/datahub.h"
#include "codec/iec104/iec104.h"
#include "north/iec104/iec104_conn.h"
#include "north/iec104/iec104_server.h"
#include "core/loop.h"
#include "core/event_limit.h"

typedef enum {
    IEC104_HOSTILE_MALFORMED, /* malformed_asdu (and unknown types, log only) */
    IEC104_HOSTILE_REFUSED,   /* refused: all connections in use, address not allowed */
    IEC104_HOSTILE_PROTOCOL,  /* protocol_error: the connection closed */
    IEC104_HOSTILE_KINDS
} iec104_hostile;

typedef struct iec104_hostile_arg {
    struct iec104_server *srv;
    iec104_hostile kind;
} iec104_hostile_arg;

#define MOD_IEC104 "iec104"

typedef enum { PUSH_ALWAYS, PUSH_CHANGE, PUSH_DEADBAND } iec104_push;

/* One mapping row: a monitor object fed by a data point, or a command object
 * whose execution is handed to the data point's owner. */
typedef struct iec104_map {
    char *point;
    uint8_t type;          /* as configured (a monitor type, or C_SC_NA_1 / C_DC_NA_1) */
    uint32_t ioa;
    iec104_push push;
    double deadband;       /* absolute, or percent of |last transmitted| when relative */
    bool relative;
    double scaling;
    int group;             /* 0 = station only, 1..16 (counters: 1..4) */
    int line, col;
    long next_same_point;  /* chain of rows fed by the same point, -1 = end */
    /* state: the "data image" shared by all masters */
    bool has_value;
    bool convertible;      /* the point's value is a number or boolean */
    double value;          /* scaled */
    bool bool_value;       /* DP_BOOL source (double points: off 1 / on 2) */
    unsigned quality;      /* DPQ_* */
    int64_t ts_ns;
    bool transmitted;      /* a spontaneous transmission happened */
    double last_tx;        /* deadband reference */
    unsigned last_tx_quality;
} iec104_map;

struct iec104_config {
    const char *bind;
    int port;
    char **allowed;        /* "a.b.c.d" patterns, '*' per octet */
    size_t n_allowed;
    uint16_t ca;
    int connections;       /* cloned connections: concurrent masters */
    bool sync_initial_poll;
    int64_t t0_ns, t1_ns, t2_ns, t3_ns;
    int64_t idle_timeout_ns; /* no complete APDU from a master this long: closed (0: never) */
    int k, w;
    bool timestamps;       /* spontaneous monitor types with CP56Time2a */
    bool time_tagged_commands;
    int64_t max_command_age_ns, max_command_ahead_ns;
    bool direct_commands;
    int64_t select_timeout_ns;
    bool act_term;
    int queue;             /* spontaneous events per connection */
    int offline_buffer;    /* spontaneous events kept while no master is started */
    iec104_map *map;
    size_t n_map;
};

typedef struct interrogation {
    bool active;
    uint8_t cot;           /* 20..36 or 37..41 */
    int group;             /* 0 = all */
    bool counters;         /* counter interrogation */
    size_t next;           /* next mapping row to look at */
    uint8_t qualifier;     /* QOI / QCC to repeat in ACT_TERM */
    uint32_t ioa;          /* IOA of the activation (0) */
} interrogation;

typedef struct selection {
    bool active;
    uint32_t ioa;
    uint8_t type;          /* base command type */
    int32_t state;
    int64_t deadline_ns;
} selection;

/* What the server knows of one master: its connection and the application
 * state of IEC 60870-5-101 clause 7 that lives as long as it (the context of
 * the connection's hooks). */
typedef struct iec104_session {
    iec104_server *srv;
    iec104_conn *conn;
    interrogation gi, ci;
    selection sel;
    unsigned ci_seq;
} iec104_session;

struct iec104_server {
    const iec104_config *cfg;
    iec104_map *map;       /* the configuration's rows with their live state */
    size_t n_map;
    gw_loop *loop;
    datahub *hub;
    int sub_id;
    int listen_fd;
    int port;
    bool listening;
    bool cycle_seen;
    size_t n_valued;       /* monitor rows with a value (synchronous initial poll) */
    size_t n_monitor;
    iec104_conn_params conn_params;
    iec104_session **sessions;
    size_t n_sessions;
    event_ring offline;
    struct refused_conn *refused_list; /* refused masters being drained */
    long *point_slots;     /* hash of point id → first mapping row, -1 empty */
    size_t point_cap;
    uint32_t *by_ioa;      /* mapping rows sorted by IOA */
    bool eoi_sent;         /* end of initialisation (M_EI_NA_1) */
    /* counters, published as points iec104/... */
    iec104_conn_stats conn_stats; /* asdus_sent, spont_dropped */
    uint64_t offline_dropped, commands, refused, published;
    uint64_t malformed_asdus;  /* ASDUs of a known type whose objects did not match */
    uint64_t protocol_errors;  /* connections closed for a broken protocol */
    uint64_t stat_stamp;
    event_limit hostile[IEC104_HOSTILE_KINDS]; /* iec104_notice.c */
    iec104_hostile_arg hostile_arg[IEC104_HOSTILE_KINDS];
};

/* iec104_map.c */
bool iec104_map_is_command(uint8_t type);
bool iec104_map_is_counter(uint8_t type);
/* Update a row from a point; true when the push mode asks for a spontaneous transmission. */
bool iec104_map_update(iec104_map *m, const dp *point);
/* Fill an object from a row's image (type chosen by the caller). */
void iec104_map_fill(const iec104_map *m, uint8_t type, iec104_io *io);
void iec104_map_transmitted(iec104_map *m);
long iec104_map_find_ioa(const iec104_server *srv, uint32_t ioa);
long iec104_map_find_point(const iec104_server *srv, const char *id);
int iec104_map_index(iec104_server *srv);

/* iec104_notice.c: an event for the datahub (and so the store's events table),
 * source "iec104". */
void iec104_notice(datahub *hub, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* What a hostile master can provoke without end is told (log line and event)
 * EVENT_LIMIT_BURST times a minute per kind, then summed up in one event of
 * the same kind with the count left out; the counters stay exact. */
void iec104_hostile_init(iec104_server *srv);
bool iec104_hostile_take(iec104_server *srv, iec104_hostile kind); /* true: tell it */
void iec104_hostile_stop(iec104_server *srv); /* the summaries still due */

/* iec104_app.c: one ASDU from a master; false when it cannot even be identified
 * (shorter than its header): the caller closes the connection. */
bool iec104_app_handle(iec104_session *s, const uint8_t *asdu, size_t len);
/* The next response of a running general or counter interrogation into a;
 * false when none is running (a finished one has queued its ACT_TERM). */
bool iec104_app_next_interrogation(iec104_session *s, iec104_asdu *a);

/* iec104_server.c: a master's connection on fd joins the server (as after
 * accept); NULL when out of resources (fd is then still the caller's). */
iec104_session *iec104_server_adopt(iec104_server *srv, int fd, const char *peer, int peer_port);
/* Close a master's connection and forget it. */
void iec104_server_drop(iec104_session *s);
#endif
