/* report_names: MUC500 texts for media (Table 27), value descriptions
 * (Table 28), units (Table 29) and interfaces, keyed by the datahub's own
 * names. The texts are the manual's; only the mapping from our names is ours. */
#include <stddef.h>
#include <string.h>

#include "north/report/report_int.h"

/* Table 27: the index is the EN 13757-3 device type byte itself. */
static const struct {
    int code;
    const char *name;
} media[] = {
    {0, "Other"},
    {1, "Oil"},
    {2, "Electricity"},
    {3, "Gas"},
    {4, "Heat (outlet)"},
    {5, "Steam"},
    {6, "Warm water"},
    {7, "Water"},
    {8, "Heat cost allocator"},
    {9, "Compressed air"},
    {10, "Cooling (outlet)"},
    {11, "Cooling (inlet)"},
    {12, "Heat (inlet)"},
    {13, "Combined heat / cooling"},
    {14, "Bus / System component"},
    {15, "Unknown medium"},
    {20, "Calorific value"},
    {21, "Hot water"},
    {22, "Cold water"},
    {23, "Dual register (hot/cold) water"},
    {24, "Pressure"},
    {25, "A/D Converter"},
    {26, "Smoke detector"},
    {27, "Room sensor"},
    {28, "Gas detector"},
    {32, "Breaker (electricity)"},
    {33, "Valve (gas or water)"},
    {37, "Customer unit"},
    {40, "Waste water"},
    {41, "Waste"},
    {42, "Carbon dioxide"},
    {49, "Communication controller"},
    {50, "Unidirectional repeater"},
    {51, "Bidirectional repeater"},
    {54, "Radio converter (system side)"},
    {55, "Radio converter (meter side)"},
};

const char *report_medium_name(int medium) {
    for (size_t i = 0; i < sizeof media / sizeof media[0]; i++)
        if (media[i].code == medium)
            return media[i].name;
    return "Reserved";
}

/* Table 28 texts for the quantity names the decoders publish. Several of our
 * names may map to one description (the codecs name things more finely). */
static const struct {
    const char *quantity;
    const char *description;
} descriptions[] = {
    {"none", "None"},
    {"error_flags", "Error flags (Device type specific)"},
    {"digital_output", "Digital output"},
    {"special_supplier_info", "Special supplier information"},
    {"credit", "Credit"},
    {"debit", "Debit"},
    {"voltage", "Volts"},
    {"current", "Ampere"},
    {"energy", "Energy"},
    {"volume", "Volume"},
    {"mass", "Mass"},
    {"operating_time", "Operating time"},
    {"on_time", "On time"},
    {"power", "Power"},
    {"volume_flow", "Volume flow"},
    {"volume_flow_ext", "Volume flow ext"},
    {"mass_flow", "Mass flow"},
    {"return_temperature", "Return temperature"},
    {"flow_temperature", "Flow temperature"},
    {"temperature_difference", "Temperature difference"},
    {"external_temperature", "External temperature"},
    {"pressure", "Pressure"},
    {"date", "Timestamp"},
    {"date_time", "Timestamp"},
    {"timestamp", "Timestamp"},
    {"time", "Time"},
    {"hca_units", "Units for H. C. A."},
    {"hca", "Units for H. C. A."},
    {"averaging_duration", "Averaging duration"},
    {"actuality_duration", "Actuality duration"},
    {"identification", "Identification"},
    {"enhanced_identification", "Identification"},
    {"fabrication_no", "Fabrication"},
    {"fabrication", "Fabrication"},
    {"bus_address", "Address"},
    {"address", "Address"},
    {"text", "Meter specific description (text based)"},
    {"digital_input", "Digital input"},
    {"software_version", "Software version"},
    {"access_number", "Access number"},
    {"device_type", "Device type"},
    {"medium", "Device type"},
    {"manufacturer", "Manufacturer"},
    {"parameter_set_id", "Parameter set identification"},
    {"model_version", "Model / Version"},
    {"hardware_version", "Hardware version"},
    {"firmware_version", "Metrology (firmware) version"},
    {"customer_location", "Customer location"},
    {"customer", "Customer"},
    {"error_mask", "Error mask"},
    {"baud_rate", "Baud rate"},
    {"response_delay", "Response delay time"},
    {"retry", "Retry"},
    {"remote_control", "Remote control (device specific)"},
    {"storage_interval", "Storage interval"},
    {"manufacturer_specific", "Vendor specific data"},
    {"vendor_specific", "Vendor specific data"},
    {"time_point", "Time point"},
    {"duration_since_readout", "Duration since last readout"},
    {"tariff_start", "Start of tariff"},
    {"tariff_duration", "Duration of tariff"},
    {"tariff_period", "Period of tariff"},
    {"no_vif", "No VIF"},
    {"transmit_interval", "Data transmit interval"},
    {"reset_counter", "Reset counter"},
    {"cumulation_counter", "Cumulation counter"},
    {"control_signal", "Control signal"},
    {"day_of_week", "Day of week"},
    {"week_number", "Week number"},
    {"operating_time_battery", "Operating time battery"},
    {"battery_change", "Battery change"},
    {"rssi", "RSSI"},
    {"remaining_battery_life", "Remaining battery life time"},
    {"reactive_energy", "Reactive energy"},
    {"reactive_power", "Reactive power"},
    {"relative_humidity", "Relative humidity"},
    {"frequency", "Frequency"},
    {"apparent_energy", "Apparent energy"},
    {"apparent_power", "Apparent power"},
    /* the M-Bus codec's names (gateway/codec/mbus/mbus_vif.c) */
    {"reserved", "Reserved"},
    {"dimensionless", "None"},
    {"plain_text_unit", "Meter specific description (text based)"},
    {"response_delay_time", "Response delay time"},
    {"first_storage_number", "First storagenum. for cyclic storage"},
    {"last_storage_number", "Last storagenum. for cyclic storage"},
    {"storage_block_size", "Size of storage block"},
    {"duration_since_last_readout", "Duration since last readout"},
    {"duration_since_last_cumulation", "Duration since last cumulation"},
    {"day_change_time_point", "Time point of day change"},
    {"parameter_activation_state", "State of parameter activation"},
    {"battery_operating_time", "Operating time battery"},
    {"battery_change_date_time", "Battery change"},
    {"rf_level", "RSSI"},
    {"daylight_saving", "Day light saving"},
    {"listening_window", "Listening window management"},
    {"meter_stop_count", "Stop counter"},
    {"manufacturer_data_container", "Vendor specific data container"},
    {"temperature_limit", "Cold/Warm Temperature limit"},
    {"cumulative_max_power", "Cumulative count max. power"},
    {"access_code_user", "Access code user"},
    {"access_code_operator", "Access code operator"},
    {"access_code_system_operator", "Access code system operator"},
    {"access_code_developer", "Access code developer"},
    {"password", "Password"},
};

const char *report_description(const char *quantity) {
    if (!quantity || !*quantity)
        return "None";
    for (size_t i = 0; i < sizeof descriptions / sizeof descriptions[0]; i++)
        if (strcmp(descriptions[i].quantity, quantity) == 0)
            return descriptions[i].description;
    return quantity;
}

const char *report_interface_name(const char *interface) {
    static const struct {
        const char *ours, *muc;
    } names[] = {
        {"mbus", "Mbus"}, {"wmbus", "wMbus"}, {"modbus", "Modbus"}, {"s0", "S0"},
        {"system", "System"}, {"dlde", "DLDRS"}, {"dlms", "DLMS"},
    };
    if (!interface)
        return "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].ours, interface) == 0)
            return names[i].muc;
    return interface;
}

/* Table 29 texts. The manual's reports write "m^3" for its "m ³" (see the
 * CSV and XML samples); Table 29 has "kVARh"/"kVAR" but no varh/var, so
 * those convert by 10^-3. */
static const struct {
    const char *base;
    const char *text;
    int shift;
} units[] = {
    {"V", "V", 0},          {"A", "A", 0},
    {"Wh", "Wh", 0},        {"J", "J", 0},
    {"m3", "m^3", 0},       {"kg", "kg", 0},
    {"s", "s", 0},          {"min", "min", 0},
    {"h", "h", 0},          {"d", "d", 0},
    {"W", "W", 0},          {"J/h", "J/h", 0},
    {"m3/h", "m^3/h", 0},   {"m3/min", "m^3/min", 0},
    {"m3/s", "m^3/s", 0},   {"kg/h", "kg/h", 0},
    {"C", "Degree C", 0},   {"K", "K", 0},
    {"bar", "Bar", 0},      {"bd", "bd", 0},
    {"baud", "bd", 0},      {"bt", "bt", 0},
    {"mon", "mon", 0},      {"y", "y", 0},
    {"dBm", "dBm", 0},      {"varh", "kVARh", -3},
    {"kvarh", "kVARh", 0},  {"var", "kVAR", -3},
    {"kvar", "kVAR", 0},    {"cal", "cal", 0},
    {"%", "%", 0},          {"ft3", "ft^3", 0},
    {"deg", "Degree", 0},   {"Hz", "Hz", 0},
    {"kBTU", "kBTU", 0},    {"mBTU/s", "mBTU/s", 0},
    {"gal", "US gal", 0},   {"gal/s", "US gal/s", 0},
    {"gal/min", "US gal/min", 0}, {"gal/h", "US gal/h", 0},
    {"F", "Degree F", 0},   {"UTC", "UTC", 0},
    {"HCA", "", 0}, /* heat cost allocator units: the description says it */
};

rpt_unit report_unit(const char *base_unit, bool kwh) {
    rpt_unit u = {base_unit ? base_unit : "", 0};
    if (kwh && strcmp(u.text, "Wh") == 0)
        return (rpt_unit){"kWh", -3};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(units[i].base, u.text) == 0)
            return (rpt_unit){units[i].text, units[i].shift};
    return u;
}
