/* config_preflight: what the start would try that can be tried without
 * starting: the store's folder (or file) writable, then each module's check
 * (core/module.h) in table order: every report folder writable, TLS key and
 * certificate files readable, the servers' TCP ports bindable, each M-Bus
 * port opening as a serial port (key files of radio modules are already read
 * by the wmbus section).
 *
 * gwd runs it both for --check-config and at start-up, before anything is
 * started, so the check and the start fail alike with "file:line:col: what is
 * wrong". A port a running gateway listens on fails the check as it would
 * fail a second gateway's start. */
#ifndef GW_CONFIG_PREFLIGHT_H
#define GW_CONFIG_PREFLIGHT_H
#include <stdbool.h>
#include "tools/config_check.h"

bool gw_preflight(const cfg_node *root, const gw_sections *s, cfg_err *err);
#endif
