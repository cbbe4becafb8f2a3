/* dp_address: addresses of data points as text, written and read back (see dp_address.h). */
#include "core/dp_address.h"

#include <stdio.h>
#include <string.h>

const char *dp_protocol_name(dp_protocol protocol) {
    switch (protocol) {
    case DP_PROTO_MBUS: return "mbus";
    case DP_PROTO_WMBUS: return "wmbus";
    case DP_PROTO_DLMS: return "dlms";
    case DP_PROTO_MODBUS: return "modbus";
    case DP_PROTO_NONE: break;
    }
    return "";
}

static const char *or_dash(const char *hex) {
    return hex[0] ? hex : "-";
}

void dp_mbus_address_format(const dp_mbus_address *a, char *out, size_t cap) {
    snprintf(out, cap, "DIF %s VIF %s storage %d tariff %d subunit %d", or_dash(a->dif_hex),
             or_dash(a->vif_hex), a->storage, a->tariff, a->subunit);
}

void dp_dlms_address_format(const uint8_t o[6], int class_id, int attr, char *out, size_t cap) {
    snprintf(out, cap, "%u-%u:%u.%u.%u.%u class %d attr %d", o[0], o[1], o[2], o[3], o[4], o[5],
             class_id, attr);
}

void dp_modbus_address_format(const char *bank, unsigned reg, const char *format, const char *order,
                              char *out, size_t cap) {
    snprintf(out, cap, "%s %u %s %s", bank, reg, format, order);
}

/* Copy [from, to) into out unless it is the "-" that stands for no bytes. */
static bool copy_hex(const char *from, const char *to, char *out, size_t cap) {
    size_t n = (size_t)(to - from);
    if (n == 0 || n >= cap)
        return false;
    if (n == 1 && *from == '-')
        n = 0;
    memcpy(out, from, n);
    out[n] = '\0';
    return true;
}

static bool mbus_parse(const char *s, dp_mbus_address *a) {
    if (strncmp(s, "DIF ", 4) != 0)
        return false;
    const char *vif = strstr(s + 4, " VIF ");
    const char *rest = vif ? strstr(vif + 4, " storage ") : NULL;
    int end = 0;
    return rest && copy_hex(s + 4, vif, a->dif_hex, sizeof a->dif_hex) &&
           copy_hex(vif + 5, rest, a->vif_hex, sizeof a->vif_hex) &&
           sscanf(rest, " storage %d tariff %d subunit %d%n", &a->storage, &a->tariff, &a->subunit,
                  &end) == 3 &&
           rest[end] == '\0';
}

bool dp_mbus_address_of(const dp_origin *o, dp_mbus_address *a) {
    memset(a, 0, sizeof *a);
    bool mbus = o->protocol == DP_PROTO_MBUS || o->protocol == DP_PROTO_WMBUS;
    if (mbus && o->address && mbus_parse(o->address, a))
        return true;
    memset(a, 0, sizeof *a);
    return false;
}

bool dp_dlms_address_parse(const char *address, uint8_t obis[6], int *class_id, int *attr) {
    unsigned v[6];
    int end = 0;
    if (!address || sscanf(address, "%u-%u:%u.%u.%u.%u class %d attr %d%n", &v[0], &v[1], &v[2], &v[3],
                           &v[4], &v[5], class_id, attr, &end) != 8 || address[end] != '\0')
        return false;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255)
            return false;
        obis[i] = (uint8_t)v[i];
    }
    return true;
}

bool dp_dlms_obis_of(const dp_origin *o, char *obis, size_t cap) {
    uint8_t b[6];
    int class_id, attr;
    if (o->protocol != DP_PROTO_DLMS || !dp_dlms_address_parse(o->address, b, &class_id, &attr))
        return false;
    snprintf(obis, cap, "%u-%u:%u.%u.%u.%u", b[0], b[1], b[2], b[3], b[4], b[5]);
    return true;
}
