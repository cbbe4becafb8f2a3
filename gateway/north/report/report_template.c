/* report_template: CMe3100 template numbers (report_template.h). */
#include "north/report/report_template.h"

#include <stdio.h>

static const char *protocol_of(int prefix) {
    switch (prefix) {
    case 1: return "e-mail";
    case 2: return "FTP";
    case 3: return "HTTP";
    default: return "unknown";
    }
}

int report_template_default(int prefix, bool events) {
    if (prefix <= 0)
        return 0;
    return prefix * 1000 + (events ? RPT_TEMPLATE_EVENTS : RPT_TEMPLATE_VALUES);
}

bool report_template_check(long long number, int prefix, const char *transport, bool events,
                           char *why, size_t cap) {
    if (prefix <= 0) {
        snprintf(why, cap, "template: a %s transport has no CMe3100 template numbers "
                 "(only smtp 1xxx, ftp/sftp 2xxx, http 3xxx)", transport);
        return false;
    }
    if (number < 1000 || number > 9999) {
        snprintf(why, cap, "template: expected a four-digit number such as %d", prefix * 1000 + 101);
        return false;
    }
    int digit = (int)(number / 1000), rest = (int)(number % 1000);
    if (digit > 3) {
        snprintf(why, cap, "template: %lld: the first digit is the protocol, 1 (e-mail), "
                 "2 (FTP) or 3 (HTTP)", number);
        return false;
    }
    if (digit != prefix) {
        snprintf(why, cap, "template: %lld is an %s template (%dxxx) but the transport is %s "
                 "(%dxxx)", number, protocol_of(digit), digit, transport, prefix);
        return false;
    }
    if (rest != RPT_TEMPLATE_VALUES && rest != RPT_TEMPLATE_EVENTS) {
        snprintf(why, cap, "template: %lld is not supported; x101 (values) and x005 (events) are",
                 number);
        return false;
    }
    if ((rest == RPT_TEMPLATE_EVENTS) != events) {
        snprintf(why, cap, "template: %lld is %s template but the format is %s", number,
                 events ? "a value" : "an event", events ? "events" : "a value format");
        return false;
    }
    return true;
}
