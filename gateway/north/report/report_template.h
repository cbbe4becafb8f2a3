/* report_template: CMe3100 template numbers (spec cme3100.md R-41, Appendix C).
 *
 * A CMe3100 template number is the protocol digit (1 e-mail, 2 FTP, 3 HTTP)
 * followed by the template: "101" a value report with all meter values in one
 * post, "005" an event report. 1101 is the value report by e-mail, 2101 by FTP,
 * 3101 by HTTP. gwd renders its own formats (csv, json, xml, events); the number
 * names which kind of report an instance sends and travels with it (e-mail
 * header, HTTP header) so a head-end that sorts by template number can. Pure:
 * no I/O. */
#ifndef GW_REPORT_TEMPLATE_H
#define GW_REPORT_TEMPLATE_H
#include <stdbool.h>
#include <stddef.h>

#define RPT_TEMPLATE_VALUES 101 /* x101: all meter values in one report */
#define RPT_TEMPLATE_EVENTS 5   /* x005: event report */

/* The number an instance gets when its configuration names none: prefix*1000 +
 * 101 (values) or + 5 (events); 0 when the transport has no prefix. */
int report_template_default(int prefix, bool events);

/* Check a configured number against the transport's prefix (0: none) and the
 * instance's kind of report; false with a message (no position) in why. */
bool report_template_check(long long number, int prefix, const char *transport, bool events,
                           char *why, size_t cap);
#endif
