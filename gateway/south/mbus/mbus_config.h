/* mbus_config: the `mbus:` section of the gateway configuration (wired M-Bus
 * segments and their meters), validated with file:line:col errors. See
 * docs/configuration.md. `auto` timings are resolved here from the baud rate. */
#ifndef GW_MBUS_CONFIG_H
#define GW_MBUS_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/cron.h"
#include "codec/mbus/mbus_link.h"

#define MBUS_NAME_MAX 64 /* meter and segment names (they prefix data point ids) */

typedef struct mbus_meter_cfg {
    char *name;
    int primary;               /* 0..250, or -1 when addressed by secondary address */
    bool has_secondary;
    mbus_secondary secondary;  /* mask for the select telegram (F nibbles = wildcards) */
    long baud;                 /* its own baud rate, or 0: the segment's */
    int64_t wakeup_ns;         /* 0x55 bytes for this long before each readout, or 0 */
} mbus_meter_cfg;

#define MBUS_WAKEUP_MAX_NS (2 * 1000000000LL) /* the longest wake-up sequence */

/* Meter search (docs/mbus.md): at start-up and on demand (SIGUSR1). */
typedef enum { MBUS_SCAN_OFF, MBUS_SCAN_SECONDARY, MBUS_SCAN_PRIMARY, MBUS_SCAN_BOTH } mbus_scan_mode;

typedef struct mbus_scan_cfg {
    mbus_scan_mode mode;
    bool at_start;             /* scan before the first readout cycle */
    bool reverse;              /* secondary: digits 9..0 */
    mbus_secondary mask;       /* secondary: the search's base (F nibbles = wildcards) */
    int primary_from, primary_to;
    char *report;              /* commission report file (CSV), or NULL */
    int64_t every_ns;          /* scan again at the first cycle this long after the last (0: never) */
} mbus_scan_cfg;

/* What precedes each readout (MUC500 §2.6 item 19): nothing; SND_NKE to the
 * meter (to 0xFF for a secondary meter, which has no address of its own);
 * SND_NKE to 0xFD (ends any selection); SND_NKE to 0xFF (broadcast); an
 * application reset SND_UD CI 0x50 to 0xFF (broadcast). Broadcasts are not
 * answered; the others are best effort (E5 awaited, silence accepted). */
typedef enum {
    MBUS_RESET_NONE,
    MBUS_RESET_NKE,
    MBUS_RESET_NKE_FD,
    MBUS_RESET_NKE_FF,
    MBUS_RESET_APP_FF,
} mbus_reset_mode;

/* What precedes the REQ_UD2 of a readout (MUC500 §2.6 item 17): nothing;
 * a global readout request SND_UD CI 0x51 with DIF 0x7F VIF 0x7E; or with
 * DIF 0x7F only. Best effort like the reset: E5 awaited, silence accepted. */
typedef enum {
    MBUS_REQUEST_UD2,
    MBUS_REQUEST_GLOBAL_READOUT,
    MBUS_REQUEST_GLOBAL_READOUT_DIF,
} mbus_request_mode;

/* Transparent M-Bus over TCP (docs/mbus.md): a TCP client's frames go to the
 * wire, the answers back; the segment's readout waits meanwhile. */
typedef enum { MBUS_PACK_MBUS, MBUS_PACK_RAW } mbus_packing;

typedef struct mbus_transparent_cfg {
    bool enabled;
    char *bind;
    int port;
    int64_t idle_timeout_ns;     /* the bus goes back to the readout after this much silence */
    mbus_packing packing;        /* mbus: whole valid frames only; raw: bytes as they come */
    int64_t packing_interval_ns; /* raw: bytes are a request after this much client silence */
} mbus_transparent_cfg;

typedef struct mbus_segment_cfg {
    char *name;
    char *device;
    long baud;
    int64_t interval_ns;
    bool scheduled;            /* `schedule:` given: cycles at its instants, not every interval */
    cron_schedule schedule;
    int64_t response_timeout_ns;
    int64_t idle_timeout_ns;
    int64_t request_gap_ns;
    bool response_timeout_auto; /* `auto`: follows each meter's baud (per-meter baud) */
    bool request_gap_auto;
    int retries;
    int max_pages;
    bool reset_nke;            /* any reset before a readout (reset_mode != NONE) */
    mbus_reset_mode reset_mode;
    mbus_request_mode request_mode;
    bool echo;                 /* the level converter echoes our requests: skip them */
    mbus_scan_cfg scan;
    mbus_transparent_cfg transparent;
    size_t n_meters;
    mbus_meter_cfg *meters;
} mbus_segment_cfg;

typedef struct mbus_config {
    size_t n_segments;
    mbus_segment_cfg *segments;
} mbus_config;

/* Parse the `mbus:` sequence (NULL = no wired M-Bus: an empty config).
 * Returns NULL with err set on any error. */
mbus_config *mbus_config_parse(const cfg_node *section, cfg_err *err);
void mbus_config_free(mbus_config *cfg);

/* Time for n bits on the line at baud. */
int64_t mbus_bits_ns(long baud, int64_t bits);
/* Defaults behind `auto` (EN 13757-2 and the MUC500's idle timeout). */
int64_t mbus_auto_response_timeout_ns(long baud); /* 330 bit times + 50 ms */
int64_t mbus_auto_request_gap_ns(long baud);      /* 33 bit times */
#define MBUS_AUTO_IDLE_TIMEOUT_NS (100 * 1000000LL)

#endif
