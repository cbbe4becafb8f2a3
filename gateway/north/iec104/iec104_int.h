/* iec104_int: what the files of the IEC 104 server share (not a public API). */
#ifndef GW_IEC104_INT_H
#define GW_IEC104_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/datahub.h"
#include "codec/iec104/iec104.h"
#include "north/iec104/iec104_server.h"
#include "core/iochan.h"
#include "core/loop.h"

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

/* A spontaneous (or interrogated) object waiting for the window. */
typedef struct iec104_event {
    uint32_t map;          /* index of the mapping row */
    uint8_t cot;
    uint8_t type;
    iec104_io io;
} iec104_event;

typedef struct event_ring {
    iec104_event *items;
    size_t cap, head, n;
} event_ring;

/* Command responses and other ASDUs that must not wait behind measurements. */
typedef struct asdu_slot {
    uint8_t len;
    uint8_t bytes[IEC104_ASDU_MAX];
} asdu_slot;

#define HP_SLOTS 64

typedef struct iec104_conn iec104_conn;

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

struct iec104_conn {
    iec104_server *srv;
    int fd;
    iochan *ch;
    char peer[64];
    int peer_port;
    bool started, stopping, closing;
    /* sequence state (15 bits) */
    uint16_t vs, vr, va;   /* next send, next receive, oldest unacknowledged sent */
    int64_t *sent_at;      /* send times of unacknowledged I frames, by N(S) % k */
    unsigned rx_unacked;   /* I frames received since our last N(R) */
    int64_t rx_first_unacked_ns;
    int64_t last_rx_ns;
    int64_t last_apdu_ns;  /* the master's last complete APDU (idle_timeout) */
    bool test_pending;
    int64_t test_sent_ns;
    loop_timer_id timer;
    int64_t timer_at;
    /* buffers */
    uint8_t rx[2 * IEC104_APDU_MAX];
    size_t rx_len;
    uint8_t *out;
    size_t out_len, out_cap, out_off;
    asdu_slot hp[HP_SLOTS];
    size_t hp_head, hp_n;
    event_ring spont;
    interrogation gi, ci;
    selection sel;
    unsigned ci_seq;
};

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
    iec104_conn **conns;
    size_t n_conns;
    event_ring offline;
    struct refused_conn *refused_list; /* refused masters being drained */
    long *point_slots;     /* hash of point id → first mapping row, -1 empty */
    size_t point_cap;
    uint32_t *by_ioa;      /* mapping rows sorted by IOA */
    bool eoi_sent;         /* end of initialisation (M_EI_NA_1) */
    /* counters, published as points iec104/... */
    uint64_t asdus_sent, spont_dropped, offline_dropped, commands, refused, published;
    uint64_t malformed_asdus;  /* ASDUs of a known type whose objects did not match */
    uint64_t stat_stamp;
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

/* iec104_ring (in iec104_conn.c) */
bool ring_init(event_ring *r, size_t cap);
void ring_free(event_ring *r);
/* Append; when full the oldest is dropped and true is returned. */
bool ring_push(event_ring *r, const iec104_event *e);
bool ring_pop(event_ring *r, iec104_event *e);

/* iec104_conn.c */
iec104_conn *iec104_conn_new(iec104_server *srv, int fd, const char *peer, int peer_port);
void iec104_conn_free(iec104_conn *c);
/* An event for the datahub (and so the store's events table), source "iec104". */
void iec104_server_event(iec104_server *srv, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Move as much as the window allows into the output buffer. */
void iec104_conn_pump(iec104_conn *c);
/* Queue an ASDU on the high-priority queue (copied). */
void iec104_conn_send_hp(iec104_conn *c, const uint8_t *asdu, size_t len);
void iec104_conn_send_asdu_hp(iec104_conn *c, const iec104_asdu *a);
/* Queue a spontaneous event (dropping the oldest when full). */
void iec104_conn_queue_event(iec104_conn *c, const iec104_event *e);

/* iec104_app.c: one ASDU from a master; false when it cannot even be identified
 * (shorter than its header): the caller closes the connection. */
bool iec104_app_handle(iec104_conn *c, const uint8_t *asdu, size_t len);
/* Build the next interrogation ASDU into a; false when the interrogation is done. */
bool iec104_app_next_interrogation(iec104_conn *c, interrogation *in, iec104_asdu *a);

/* iec104_server.c */
void iec104_server_conn_closed(iec104_server *srv, iec104_conn *c);
void iec104_server_started(iec104_server *srv, iec104_conn *c);
void iec104_server_stopped(iec104_server *srv, iec104_conn *c);
#endif
