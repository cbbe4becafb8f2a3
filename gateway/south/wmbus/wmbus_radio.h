/* wmbus_radio: the wireless M-Bus receiver driver: one radio module (IMST
 * iM871A host protocol) on a serial port, driven only by the event loop.
 *
 * Start-up (and after a module reset or outage): PING, GET_DEVICEINFO,
 * GET_FWINFO, SET_CONFIG (link mode, RSSI attached), GET_CONFIG to verify.
 * Then every check_interval a GET_CONFIG checks that the module is alive and
 * still in its link mode (a module that reset itself comes back in its
 * default mode: it is configured again). A module that does not answer a
 * request retries times is dead; a port that cannot be opened is missing;
 * both are retried every check_interval and reported as events and as the
 * point "<module>/module_ok".
 *
 * Every WMBUSMSG_IND is a telegram: filtered, matched against the meter list
 * (or recorded in the listen cache), checked for duplicates, decrypted with
 * the meter's keys (linked key first, then the key file, most specific
 * first) and published like a wired readout: points "<meter>/<record>",
 * the meter, "rejected" events for wrong key / no key / MAC mismatch.
 * Every cycle the link quality of each meter ("<meter>/link/...") and the
 * module's counters are published, the listen list file (listen_list:) is
 * written, and DH_CYCLE_END "wmbus:<module>" is sent; at the stop the same
 * without the cycle end. */
#ifndef GW_WMBUS_RADIO_H
#define GW_WMBUS_RADIO_H
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"
#include "core/loop.h"
#include "south/wmbus/wmbus_config.h"

typedef struct wmbus_radio wmbus_radio;

typedef struct wmbus_radio_stats {
    uint64_t telegrams;     /* WMBUSMSG_IND received */
    uint64_t accepted;      /* decoded and published */
    uint64_t duplicates, filtered, unknown, rejected;
    uint64_t wrong_key, no_key, mac_mismatch;
    uint64_t hci_errors;    /* frames with a bad CRC or shape */
    uint64_t configured;    /* successful link mode configurations */
    uint64_t outages;       /* times the module went dead or missing */
} wmbus_radio_stats;

/* Start one module (cfg must outlive it). NULL only when out of memory; a
 * missing device is retried, not an error. */
wmbus_radio *wmbus_radio_start(const wmbus_module_cfg *cfg, gw_loop *loop, datahub *hub);
void wmbus_radio_stop(wmbus_radio *r);
void wmbus_radio_get_stats(const wmbus_radio *r, wmbus_radio_stats *out);

/* Hand one telegram as a WMBUSMSG_IND delivers it (C field first, no L, no
 * CRCs) to the receive path (exposed for tests and the benchmark). */
void wmbus_radio_receive(wmbus_radio *r, const uint8_t *payload, size_t n, bool has_rssi,
                         uint8_t rssi_raw);

/* All modules of a configuration. */
typedef struct wmbus_receivers wmbus_receivers;
wmbus_receivers *wmbus_receivers_start(const wmbus_config *cfg, gw_loop *loop, datahub *hub);
void wmbus_receivers_stop(wmbus_receivers *all); /* NULL is fine */
#endif
