/* iec104_notice: the server's events for the datahub (stored in the events
 * table), shared by the admission and the application. */
#include <stdarg.h>
#include <stdio.h>

#include "core/clock.h"
#include "north/iec104/iec104_int.h"

void iec104_notice(datahub *hub, const char *kind, const char *fmt, ...) {
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dh_event e = {.source = "iec104", .kind = kind, .text = text, .ts_ns = clock_wall_ns()};
    datahub_event(hub, &e);
}
