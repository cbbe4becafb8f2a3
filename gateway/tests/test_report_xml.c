/* MUC500 XML reports (manual §3.6, Tables 20/21, the XML-3 sample): one plant
 * written in XML-3, -6, -7, -8 and -9 and byte-compared with expected files in
 * fixtures/reports/xml.xml<N>, written by hand from the tables:
 *   - a wireless water meter like the sample's (METER_ID 92752244, volume
 *     2850427 × 0.001 m^3 with the meter's time stamp), plus a flow temperature
 *     without one (no NAME="T" parameter);
 *   - an M-Bus electricity meter in Wh (written as kWh, scale ÷ 1000);
 *   - a meter that never answered (no identity, no values).
 * The user label holds '&' to check escaping. Run from the repository root. */
#include <stdlib.h>

#include "tests/dp_address_fake.h"
#include "core/clock.h"
#include "north/report/report_int.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)

static char *read_all(FILE *f, size_t *len) {
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static char *read_path(const char *path) {
    FILE *f = fopen(path, "rb");
    size_t len;
    if (!f)
        return NULL;
    char *s = read_all(f, &len);
    fclose(f);
    return s;
}

static dp point(const char *meter, int record, const char *quantity, const char *unit,
                const char *dif, const char *vif, int64_t raw, int exp, int64_t ts_ns,
                int64_t meter_ts_ns) {
    double v = (double)raw;
    for (int i = 0; i < (exp < 0 ? -exp : exp); i++)
        v = exp < 0 ? v / 10 : v * 10;
    dp p = {.id = "x", .value = {.type = DP_DOUBLE, .d = v}, .unit = unit, .ts_ns = ts_ns};
    p.origin = (dp_origin){.meter = meter, .record = record, .quantity = quantity,
                           .protocol = DP_PROTO_MBUS, .address = fake_mbus_address(dif, vif, 0),
                           .function = "instantaneous",
                           .raw_int = raw, .scale_exp = exp, .has_raw = true,
                           .meter_ts_ns = meter_ts_ns};
    return p;
}

static void check_version(const rpt_doc *doc, int version) {
    char want_path[64];
    snprintf(want_path, sizeof want_path, "fixtures/reports/xml.xml%d", version);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_INT(report_write_xml(f, doc, version), 0);
    size_t len;
    char *got = read_all(f, &len), *want = read_path(want_path);
    fclose(f);
    CHECK_MSG(want != NULL, "no fixture %s", want_path);
    if (got && want) {
        bool same = strcmp(got, want) == 0;
        CHECK_MSG(same, "XML-%d differs from %s", version, want_path);
        if (!same) {
            size_t i = 0, line = 1;
            while (got[i] && got[i] == want[i])
                line += got[i++] == '\n';
            fprintf(stderr, "  first difference at line %zu:\n  got:  %.120s\n  want: %.120s\n",
                    line, got + i - (i > 20 ? 20 : i), want + i - (i > 20 ? 20 : i));
        }
    }
    free(got);
    free(want);
}

int main(void) {
    dh_meter water = {.name = "kitchen & bath", .interface = "wmbus", .primary_address = -1,
                      .serial = "92752244", .manufacturer = "KAM", .version = 27, .medium = 7,
                      .status = "ok", .last_read_ns = S(1253000282)};
    dh_meter elec = {.name = "elec", .interface = "mbus", .primary_address = 2,
                     .serial = "00094824", .manufacturer = "BEC", .version = 32, .medium = 2,
                     .status = "ok", .last_read_ns = S(1252004300)};
    dh_meter lost = {.name = "lost", .interface = "mbus", .primary_address = 9, .serial = "",
                     .manufacturer = "", .status = "not_read"};
    dp w0 = point("kitchen & bath", 0, "volume", "m3", "04", "13", 2850427, -3, S(1253000282),
                  S(1253000282));
    dp w1 = point("kitchen & bath", 1, "flow_temperature", "C", "02", "5A", 453, -1,
                  S(1253000282), 0);
    dp e0 = point("elec", 0, "energy", "Wh", "0E", "84 00", 2887897, 1, S(1252004300), 0);
    const dp *water_points[] = {&w0, &w1}, *elec_points[] = {&e0};
    rpt_meter meters[] = {{&water, water_points, 2}, {&elec, elec_points, 1}, {&lost, NULL, 0}};
    rpt_doc doc = {.muc_id = "13fd0", .ts_ns = S(1252004322), .meters = meters, .n_meters = 3};

    static const int versions[] = {3, 6, 7, 8, 9};
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        CHECK(report_xml_version_ok(versions[i]));
        check_version(&doc, versions[i]);
    }
    CHECK(!report_xml_version_ok(4));
    CHECK(!report_xml_version_ok(10));
    return test_summary("test_report_xml");
}
