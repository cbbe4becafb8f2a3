/* mbus_scan_report: the meters a scan found and the commission report file.
 *
 * The report is a CSV file (`;`, one header line) written after the readout
 * cycle that follows a scan, so that every found meter has been read once and
 * its manufacturer, version and medium are known:
 *   segment;meter;addressing;primary;secondary;id;manufacturer;version;medium;medium_name;status
 * status is "read" or "not_read". It replaces FILE whole (text_file.h). */
#ifndef GW_MBUS_SCAN_REPORT_H
#define GW_MBUS_SCAN_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codec/mbus/mbus_app.h"
#include "south/mbus/mbus_config.h"

typedef struct mbus_found_meter {
    mbus_meter_cfg cfg;   /* name owned; secondary = the mask until pinned */
    mbus_header hdr;      /* from its first answer */
    bool pinned;          /* addressed by its complete address (or primary) */
    bool read;            /* answered at least once */
    bool read_in_scan;    /* read as the scan found it: the readout after the scan skips it */
    bool fcb_clear;       /* without resets: its next readout starts with FCB 0 */
} mbus_found_meter;

bool mbus_scan_report_write(const char *path, const mbus_segment_cfg *seg,
                            const mbus_found_meter *found, size_t n, int64_t wall_ns,
                            char *err, size_t errlen);

#endif
