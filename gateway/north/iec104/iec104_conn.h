/* iec104_conn: one master's connection, the APCI state machine of
 * IEC 60870-5-104 clause 5. It knows nothing of the server or of what an ASDU
 * means: whoever creates it passes its parameters and a hooks struct, and
 * the connection calls back through the hooks for every ASDU received, for
 * the interrogation responses that fill an open window, and when data
 * transfer starts or stops and the connection closes. */
#ifndef GW_IEC104_CONN_H
#define GW_IEC104_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/iec104/iec104.h"
#include "core/loop.h"
#include "north/iec104/iec104_ring.h"

typedef struct iec104_conn iec104_conn;

/* Counters the connections add to (owned by their creator, shared by all). */
typedef struct iec104_conn_stats {
    uint64_t asdus_sent, spont_dropped;
} iec104_conn_stats;

/* What the connection needs from the configuration (must outlive it). */
typedef struct iec104_conn_params {
    gw_loop *loop;
    int local_port;        /* for the channel's name tcp:<local>:<peer> */
    uint16_t ca;           /* common address of the spontaneous ASDUs */
    int k, w;
    int64_t t1_ns, t2_ns, t3_ns;
    int64_t idle_timeout_ns; /* 0: never */
    size_t queue;          /* spontaneous events kept */
    iec104_conn_stats *stats;
} iec104_conn_params;

/* Callbacks, each given ctx. on_closed is the last: the creator frees the
 * connection in it (iec104_conn_free), and the connection touches nothing
 * after it returns. */
typedef struct iec104_conn_hooks {
    void *ctx;
    /* One ASDU of an I frame; false when it cannot even be identified (the
     * connection is closed as broken). */
    bool (*on_asdu)(void *ctx, const uint8_t *asdu, size_t len);
    /* The next interrogation response into a; false when none is pending. */
    bool (*next_interrogation)(void *ctx, iec104_asdu *a);
    void (*on_started)(void *ctx);
    void (*on_stopped)(void *ctx);
    void (*on_closed)(void *ctx);
    /* Something to record (idle timeout, protocol error): kind and text. */
    void (*on_event)(void *ctx, const char *kind, const char *text);
} iec104_conn_hooks;

/* Takes fd on success (closed by iec104_conn_free); NULL when out of resources,
 * fd then still the caller's. */
iec104_conn *iec104_conn_new(const iec104_conn_params *p, const iec104_conn_hooks *h, int fd,
                             const char *peer, int peer_port);
void iec104_conn_free(iec104_conn *c);

const char *iec104_conn_peer(const iec104_conn *c);
int iec104_conn_peer_port(const iec104_conn *c);
/* STARTDT received (and possibly a STOPDT waiting for acknowledgements). */
bool iec104_conn_started(const iec104_conn *c);
/* Started and not stopping: spontaneous events are welcome. */
bool iec104_conn_transferring(const iec104_conn *c);
/* Spontaneous events queued, and bytes waiting to be written. */
size_t iec104_conn_queued(const iec104_conn *c);
size_t iec104_conn_unwritten(const iec104_conn *c);

/* Move as much as the window allows into the output buffer. */
void iec104_conn_pump(iec104_conn *c);
/* Queue an ASDU on the high-priority queue (copied). */
void iec104_conn_send_hp(iec104_conn *c, const uint8_t *asdu, size_t len);
void iec104_conn_send_asdu_hp(iec104_conn *c, const iec104_asdu *a);
/* Queue a spontaneous event (dropping the oldest when full) and pump. */
void iec104_conn_queue_event(iec104_conn *c, const iec104_event *e);
/* Take back the oldest queued spontaneous event; false when none is left. */
bool iec104_conn_take_event(iec104_conn *c, iec104_event *e);
#endif
