/* dp_address: the origin addresses of data points as text, written and read back. */
#include "core/dp_address.h"

#include <string.h>

#include "tests/test.h"

static void test_protocol_names(void) {
    CHECK_STR(dp_protocol_name(DP_PROTO_MBUS), "mbus");
    CHECK_STR(dp_protocol_name(DP_PROTO_WMBUS), "wmbus");
    CHECK_STR(dp_protocol_name(DP_PROTO_DLMS), "dlms");
    CHECK_STR(dp_protocol_name(DP_PROTO_MODBUS), "modbus");
    CHECK_STR(dp_protocol_name(DP_PROTO_NONE), "");
}

static void test_mbus(void) {
    char text[DP_ADDRESS_MAX];
    dp_mbus_address a = {.dif_hex = "84 00", .vif_hex = "FD 17", .storage = 1, .tariff = 2, .subunit = 3};
    dp_mbus_address_format(&a, text, sizeof text);
    CHECK_STR(text, "DIF 84 00 VIF FD 17 storage 1 tariff 2 subunit 3");
    dp_origin o = {.protocol = DP_PROTO_MBUS, .address = text};
    dp_mbus_address back;
    CHECK(dp_mbus_address_of(&o, &back));
    CHECK_STR(back.dif_hex, "84 00");
    CHECK_STR(back.vif_hex, "FD 17");
    CHECK_INT(back.storage, 1);
    CHECK_INT(back.tariff, 2);
    CHECK_INT(back.subunit, 3);
    o.protocol = DP_PROTO_WMBUS; /* the same records by radio */
    CHECK(dp_mbus_address_of(&o, &back));
    /* DIF 0F (manufacturer specific) has no VIF: written "-", read back empty */
    dp_mbus_address m = {.dif_hex = "0F", .storage = -5};
    dp_mbus_address_format(&m, text, sizeof text);
    CHECK_STR(text, "DIF 0F VIF - storage -5 tariff 0 subunit 0");
    CHECK(dp_mbus_address_of(&o, &back));
    CHECK_STR(back.dif_hex, "0F");
    CHECK_STR(back.vif_hex, "");
    CHECK_INT(back.storage, -5);
}

static void test_mbus_refused(void) {
    static const char *const bad[] = {
        NULL, "", "DIF 04", "DIF 04 VIF 13", "DIF 04 VIF 13 storage 0 tariff 0",
        "DIF 04 VIF 13 storage 0 tariff 0 subunit 0 more", "VIF 13 DIF 04 storage 0 tariff 0 subunit 0",
        "DIF  VIF 13 storage 0 tariff 0 subunit 0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dp_origin o = {.protocol = DP_PROTO_MBUS, .address = bad[i]};
        dp_mbus_address a;
        CHECK_MSG(!dp_mbus_address_of(&o, &a), "accepted %s", bad[i] ? bad[i] : "NULL");
        CHECK(a.dif_hex[0] == '\0' && a.storage == 0);
    }
    /* another protocol's point has no M-Bus fields, whatever its address says */
    dp_origin dlms = {.protocol = DP_PROTO_DLMS, .address = "DIF 04 VIF 13 storage 0 tariff 0 subunit 0"};
    dp_mbus_address a;
    CHECK(!dp_mbus_address_of(&dlms, &a));
}

static void test_dlms(void) {
    char text[DP_ADDRESS_MAX], obis[32];
    const uint8_t ln[6] = {1, 0, 1, 8, 0, 255};
    dp_dlms_address_format(ln, 3, 2, text, sizeof text);
    CHECK_STR(text, "1-0:1.8.0.255 class 3 attr 2");
    uint8_t b[6];
    int class_id = 0, attr = 0;
    CHECK(dp_dlms_address_parse(text, b, &class_id, &attr));
    CHECK(memcmp(b, ln, 6) == 0);
    CHECK_INT(class_id, 3);
    CHECK_INT(attr, 2);
    dp_origin o = {.protocol = DP_PROTO_DLMS, .address = text};
    CHECK(dp_dlms_obis_of(&o, obis, sizeof obis));
    CHECK_STR(obis, "1-0:1.8.0.255");
    CHECK(!dp_dlms_address_parse("1-0:1.8.0.256 class 3 attr 2", b, &class_id, &attr));
    CHECK(!dp_dlms_address_parse("1-0:1.8.0.255 class 3", b, &class_id, &attr));
    CHECK(!dp_dlms_address_parse("1-0:1.8.0.255 class 3 attr 2 x", b, &class_id, &attr));
    CHECK(!dp_dlms_address_parse(NULL, b, &class_id, &attr));
    o.protocol = DP_PROTO_MODBUS;
    CHECK(!dp_dlms_obis_of(&o, obis, sizeof obis));
}

static void test_modbus(void) {
    char text[DP_ADDRESS_MAX];
    dp_modbus_address_format("holding", 40, "uint32", "CDAB", text, sizeof text);
    CHECK_STR(text, "holding 40 uint32 CDAB");
    dp_origin o = {.protocol = DP_PROTO_MODBUS, .address = text};
    dp_mbus_address a;
    char obis[32];
    CHECK(!dp_mbus_address_of(&o, &a));
    CHECK(!dp_dlms_obis_of(&o, obis, sizeof obis));
}

int main(void) {
    test_protocol_names();
    test_mbus();
    test_mbus_refused();
    test_dlms();
    test_modbus();
    return test_summary("test_dp_address");
}
