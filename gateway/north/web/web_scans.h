/* web_scans: the meter scans asked for through the API (docs/api.md "Scans"),
 * followed through the datahub only: the web server sends DH_COMMAND
 * "<bus>/scan" with the kind, the M-Bus driver answers with events of source
 * "mbus:<bus>" (scan_started, scan_found per meter, scan_done, scan_refused)
 * and the points "<bus>/scan_probes", "scan_found", "scan_percent". North never
 * calls the driver. The last WEB_SCANS_KEPT scans are kept. */
#ifndef GW_WEB_SCANS_H
#define GW_WEB_SCANS_H
#include <stdbool.h>
#include <stddef.h>
#include "core/datahub.h"

#define WEB_SCANS_KEPT 16

typedef struct web_scan_meter {
    char secondary[16], manufacturer[8], medium[24], name[64];
    int version; /* -1: unknown */
    int primary; /* -1: not addressed by a primary address */
} web_scan_meter;

typedef enum { WEB_SCAN_RUNNING, WEB_SCAN_DONE, WEB_SCAN_FAILED } web_scan_state;

typedef struct web_scan {
    int id; /* 0: unused slot */
    char bus[64], kind[16];
    web_scan_state state;
    bool started; /* the driver said scan_started */
    long long probes, found_count, percent; /* final values once done */
    web_scan_meter *found;
    size_t n_found, cap_found;
    char error[160];
} web_scan;

typedef struct web_scans {
    datahub *hub;
    int subscription;
    web_scan scan[WEB_SCANS_KEPT];
    int next_id;
} web_scans;

void web_scans_attach(web_scans *s, datahub *hub);
void web_scans_detach(web_scans *s);
/* A new scan of bus (sent to the driver); NULL when one runs there already
 * (*busy) or no slot is free of a running scan. */
web_scan *web_scans_start(web_scans *s, const char *bus, const char *kind, bool *busy);
web_scan *web_scans_find(web_scans *s, const char *bus, int id);
/* Every running scan ends as failed with why (the M-Bus module restarted). */
void web_scans_fail_running(web_scans *s, const char *why);
/* Progress while running (the driver's points), the final one when over. */
void web_scans_progress(const web_scans *s, const web_scan *sc, long long *probes,
                        long long *found, long long *percent);
#endif
