/* M-Bus origin addresses for tests that describe points by their DIF and VIF. */
#ifndef GW_TEST_DP_ADDRESS_FAKE_H
#define GW_TEST_DP_ADDRESS_FAKE_H
#include <stdio.h>

#include "core/dp_address.h"

/* "DIF <dif> VIF <vif> storage <storage> tariff 0 subunit 0", in one of 16 buffers used
 * in turn (the datahub copies it; a test keeps at most a few points at once). */
static inline const char *fake_mbus_address(const char *dif, const char *vif, int storage) {
    static char buffers[16][DP_ADDRESS_MAX];
    static unsigned next;
    char *out = buffers[next++ % 16];
    dp_mbus_address a = {.storage = storage};
    snprintf(a.dif_hex, sizeof a.dif_hex, "%s", dif ? dif : "");
    snprintf(a.vif_hex, sizeof a.vif_hex, "%s", vif ? vif : "");
    dp_mbus_address_format(&a, out, DP_ADDRESS_MAX);
    return out;
}
#endif
