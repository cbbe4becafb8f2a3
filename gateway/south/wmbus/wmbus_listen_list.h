/* wmbus_listen_list: the listen cache as a file, so that whoever commissions
 * the gateway sees which unknown meters are around (MUC500 listen mode:
 * "handle and list unknown, newly received meters") without them becoming
 * meters or points in the datahub.
 *
 * CSV with `;` and one header line, at most listen_cache rows, newest first
 * (most recently heard; equal times by address):
 *   address;manufacturer;id;version;device_type;device_type_name;telegrams;
 *   rssi_dbm;rssi_mean_dbm;first_heard;last_heard
 * telegrams counts the telegrams heard (duplicates not counted); the RSSI
 * cells are empty when the module reported none; the times are ISO 8601 UTC
 * with milliseconds. The file is replaced whole (PATH.tmp, then renamed). */
#ifndef GW_WMBUS_LISTEN_LIST_H
#define GW_WMBUS_LISTEN_LIST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "south/wmbus/wmbus_meters.h"

/* The cache keeps monotonic times: they are written as wall times through
 * the pair (mono_now_ns, wall_now_ns) taken at the same moment. false with
 * err set when the file cannot be written. */
bool wmbus_listen_list_write(const char *path, const wmbus_meters *m, int64_t mono_now_ns,
                             int64_t wall_now_ns, char *err, size_t errlen);
#endif
