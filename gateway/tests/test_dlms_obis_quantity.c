/* dlms_obis_quantity: OBIS value groups C and D (IEC 62056-6-1) -> the datahub's
 * quantities, the vocabulary M-Bus quantities use. */
#include "codec/dlms/dlms_obis_quantity.h"

#include <stdint.h>

#include "codec/dlms/dlms_axdr.h"
#include "tests/test.h"

/* The quantity of a logical name written as in a configuration ("1-0:1.8.0.255"). */
static const char *quantity(const char *obis, unsigned class_id) {
    uint8_t b[6];
    if (!dlms_obis_parse(obis, b))
        return "(bad OBIS)";
    return dlms_obis_quantity(b, class_id);
}

static void test_energy_and_power(void) {
    CHECK_STR(quantity("1-0:1.8.0.255", 3), "energy");   /* active energy +, time integral 1 */
    CHECK_STR(quantity("1-0:2.8.0.255", 3), "energy");   /* active energy - (direction in the OBIS) */
    CHECK_STR(quantity("1-0:1.8.1.255", 3), "energy");   /* tariff 1 */
    CHECK_STR(quantity("1-0:1.9.0.255", 3), "energy");   /* time integral 2 */
    CHECK_STR(quantity("1-0:15.8.0.255", 3), "energy");  /* |+| + |-| */
    CHECK_STR(quantity("1-0:21.8.0.255", 3), "energy");  /* L1 */
    CHECK_STR(quantity("1-0:1.7.0.255", 4), "power");    /* instantaneous */
    CHECK_STR(quantity("1-0:2.7.0.255", 3), "power");
    CHECK_STR(quantity("1-0:1.4.0.255", 5), "power");    /* current average (demand register) */
    CHECK_STR(quantity("1-0:1.5.0.255", 5), "power");    /* last average */
    CHECK_STR(quantity("1-0:1.6.0.255", 4), "power");    /* maximum */
    CHECK_STR(quantity("1-0:41.7.0.255", 3), "power");   /* L2 */
    CHECK_STR(quantity("1-0:3.8.0.255", 3), "reactive_energy");
    CHECK_STR(quantity("1-0:4.7.0.255", 3), "reactive_power");
    CHECK_STR(quantity("1-0:5.8.0.255", 3), "reactive_energy"); /* quadrant I */
    CHECK_STR(quantity("1-0:9.8.0.255", 3), "apparent_energy");
    CHECK_STR(quantity("1-0:10.7.0.255", 3), "apparent_power");
    CHECK_STR(quantity("1-0:69.7.0.255", 3), "apparent_power"); /* L3 */
}

static void test_voltage_current_frequency(void) {
    CHECK_STR(quantity("1-0:32.7.0.255", 3), "voltage"); /* L1 */
    CHECK_STR(quantity("1-0:52.7.0.255", 3), "voltage"); /* L2 */
    CHECK_STR(quantity("1-0:72.7.0.255", 3), "voltage"); /* L3 */
    CHECK_STR(quantity("1-0:12.7.0.255", 3), "voltage"); /* any phase */
    CHECK_STR(quantity("1-0:32.5.0.255", 3), "voltage"); /* last average */
    CHECK_STR(quantity("1-0:92.7.0.255", 3), "voltage"); /* neutral */
    CHECK_STR(quantity("1-0:31.7.0.255", 3), "current");
    CHECK_STR(quantity("1-0:51.7.0.255", 3), "current");
    CHECK_STR(quantity("1-0:71.7.0.255", 3), "current");
    CHECK_STR(quantity("1-0:91.7.0.255", 3), "current");
    CHECK_STR(quantity("1-0:14.7.0.255", 3), "frequency");
    CHECK_STR(quantity("1-0:13.7.0.255", 3), "power_factor");
    CHECK_STR(quantity("1-0:33.7.0.255", 3), "power_factor");
    /* a voltage is not integrated to an energy: no name for its time integral */
    CHECK_STR(quantity("1-0:32.8.0.255", 3), "unknown");
}

static void test_abstract_and_unknown(void) {
    CHECK_STR(quantity("0-0:1.0.0.255", 8), "date_time");
    CHECK_STR(quantity("0-0:96.1.0.255", 1), "fabrication_no");
    CHECK_STR(quantity("0-0:96.3.10.255", 70), "disconnect_control");
    CHECK_STR(quantity("0-0:96.11.0.255", 1), "event_code");
    CHECK_STR(quantity("0-1:1.0.0.255", 8), "date_time");  /* another channel's clock */
    CHECK_STR(quantity("0-0:99.98.0.255", 7), "unknown");  /* a profile itself */
    CHECK_STR(quantity("1-0:99.1.0.255", 7), "unknown");
    CHECK_STR(quantity("1-0:0.9.1.255", 1), "unknown");    /* general purpose: local time */
    CHECK_STR(quantity("1-0:81.7.0.255", 3), "unknown");   /* angles */
    CHECK_STR(quantity("1-0:1.35.0.255", 3), "unknown");   /* over-limit threshold */
    CHECK_STR(quantity("7-0:3.0.0.255", 3), "unknown");    /* gas: not electricity */
    CHECK_STR(quantity("0-0:42.0.0.255", 8), "date_time"); /* the class names a clock */
    CHECK_STR(quantity("0-0:96.3.11.255", 70), "disconnect_control");
}

int main(void) {
    test_energy_and_power();
    test_voltage_current_frequency();
    test_abstract_and_unknown();
    return test_summary("test_dlms_obis_quantity");
}
