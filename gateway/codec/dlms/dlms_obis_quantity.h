/* dlms_obis_quantity: what a COSEM object measures, from its logical name (OBIS code).
 *
 * IEC 62056-6-1 names a quantity in the OBIS code's value groups C (what: active power
 * +/-, reactive, apparent, current, voltage, power factor, frequency; per phase L1/L2/L3
 * at C + 20/40/60) and D (how it is processed: time integral = energy register,
 * instantaneous, averages, maxima, minima). The names are the datahub's vocabulary, the
 * one M-Bus quantities use: "energy", "power", "reactive_energy", "reactive_power",
 * "apparent_energy", "apparent_power", "current", "voltage", "power_factor",
 * "frequency". Direction (import/export) and phase stay in the OBIS code, as M-Bus
 * keeps them in the subunit or a VIFE. A few abstract objects (A = 0) have names too:
 * "date_time" (clock), "fabrication_no" (0.0.96.1.0), "disconnect_control",
 * "event_code" (0.0.96.11.x). Everything else is "unknown". Pure table lookup. */
#ifndef GW_DLMS_OBIS_QUANTITY_H
#define GW_DLMS_OBIS_QUANTITY_H
#include <stdint.h>

/* class_id (IEC 62056-6-2) names what the OBIS code does not: clock (8), disconnect
 * control (70). Never NULL. */
const char *dlms_obis_quantity(const uint8_t obis[6], unsigned class_id);
#endif
