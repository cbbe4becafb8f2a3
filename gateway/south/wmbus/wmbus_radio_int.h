/* Internals shared by wmbus_radio.c (module protocol) and wmbus_receive.c
 * (telegram path); not an API. */
#ifndef GW_WMBUS_RADIO_INT_H
#define GW_WMBUS_RADIO_INT_H
#include "codec/decode/decode.h"
#include "codec/wmbus/im871a.h"
#include "core/iochan.h"
#include "south/wmbus/wmbus_meters.h"
#include "south/wmbus/wmbus_radio.h"

#define WMBUS_MOD "wmbus"
#define WMBUS_MAX_CANDIDATES 8

typedef enum { RS_CLOSED, RS_STARTING, RS_RUNNING, RS_DEAD } radio_state;

struct wmbus_radio {
    const wmbus_module_cfg *cfg;
    gw_loop *loop;
    datahub *hub;
    char source[WMBUS_NAME_MAX + 8]; /* "wmbus:<module>" */
    int fd;
    iochan *ch;
    uint8_t rx[2048];
    size_t rx_len;
    radio_state state;
    bool ever_ok, outage_reported;
    bool reconfiguring;       /* the module lost its link mode: set again */
    int step;                 /* index into the start-up sequence */
    bool waiting;             /* a request is out */
    uint8_t want_msg;         /* its response id (device management endpoint) */
    int attempt;
    loop_timer_id response_timer, check_timer, cycle_timer;
    int64_t started_ns;       /* monotonic */
    uint8_t device_info[16];
    char firmware[48];
    decoder *dec;
    telegram *tg;
    wmbus_meters meters;
    wmbus_radio_stats stats;
};

/* wmbus_receive.c */
void wmbus_publish_cycle(wmbus_radio *r);
/* The same without the end of a cycle: the last state at shutdown. */
void wmbus_publish_final(wmbus_radio *r);
void wmbus_publish_module_ok(wmbus_radio *r, bool ok);
void wmbus_event(wmbus_radio *r, const char *kind, const char *meter, const char *text,
                 const uint8_t *bytes, size_t len);
#endif
