/* Report module: MUC500 CSV (every variant) and JSON written from a real
 * datahub at the end of a cycle, byte-compared with hand-written expected
 * files in fixtures/reports/, the JSON parsed back, and the manual's JSON
 * sample reproduced field by field. Run from the repository root. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/dp_address_fake.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "north/report/report.h"
#include "north/report/report_int.h"
#include "tests/test.h"

#define S(sec) ((int64_t)(sec) * NS_PER_S)
#define CYCLE_TS S(1601297784) /* 2020-09-28T12:56:24Z */

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Byte comparison with the first differing line shown on failure. */
static void check_same_file(const char *got_path, const char *want_path) {
    char *got = read_file(got_path), *want = read_file(want_path);
    CHECK_MSG(got != NULL, "no file %s", got_path);
    CHECK_MSG(want != NULL, "no fixture %s", want_path);
    if (got && want) {
        bool same = strcmp(got, want) == 0;
        CHECK_MSG(same, "%s differs from %s", got_path, want_path);
        if (!same) {
            size_t i = 0, line = 1;
            while (got[i] && got[i] == want[i])
                line += got[i++] == '\n';
            fprintf(stderr, "  first difference at line %zu, byte %zu\n", line, i);
        }
    }
    free(got);
    free(want);
}

/* --- building the datahub state --- */

static void meter(datahub *hub, const char *name, const char *iface, int primary,
                  const char *serial, const char *man, int version, int medium,
                  const char *status, int64_t last_read_ns) {
    dh_meter m = {.name = name, .interface = iface, .primary_address = primary,
                  .serial = serial, .manufacturer = man, .version = version, .medium = medium,
                  .medium_name = "", .status = status, .last_read_ns = last_read_ns};
    datahub_meter(hub, &m);
}

typedef struct point_spec {
    const char *meter;
    int record;
    const char *quantity, *unit, *dif, *vif;
    bool has_raw;
    int64_t raw;
    int exp;
    int64_t ts_ns, meter_ts_ns;
    unsigned quality;
} point_spec;

static void publish(datahub *hub, const point_spec *s, dp_value value) {
    char id[64];
    snprintf(id, sizeof id, "%s/%d", s->meter, s->record);
    dp p = {.id = id, .value = value, .unit = s->unit, .ts_ns = s->ts_ns, .quality = s->quality};
    p.origin = (dp_origin){.meter = s->meter, .record = s->record, .quantity = s->quantity,
                           .protocol = DP_PROTO_MBUS, .address = fake_mbus_address(s->dif, s->vif, 0),
                           .function = "instantaneous",
                           .raw_int = s->raw, .scale_exp = s->exp, .has_raw = s->has_raw,
                           .meter_ts_ns = s->meter_ts_ns};
    datahub_publish(hub, &p);
}

static dp_value dbl(double d) {
    return (dp_value){.type = DP_DOUBLE, .d = d};
}

/* The plant of fixtures/reports/plant.*: three M-Bus meters (one not read)
 * and a wireless meter and a segment counter that an M-Bus report leaves out. */
static void build_plant(datahub *hub) {
    const unsigned stale = DPQ_INVALID | DPQ_NOT_TOPICAL;
    meter(hub, "metering1", "mbus", 1, "00000001", "SIE", 21, 2, "ok", S(1601297770));
    publish(hub, &(point_spec){"metering1", 0, "energy", "Wh", "04", "03", true, 537980, 0,
                               S(1601297770), 0, 0}, dbl(537980));
    publish(hub, &(point_spec){"metering1", 1, "external_temperature", "C", "05", "67", false, 0, 0,
                               S(1601297770), S(1601297700), 0}, dbl(21.5));
    publish(hub, &(point_spec){"metering1", 2, "date_time", "", "04", "6D", false, 0, 0,
                               S(1601297770), 0, 0},
            (dp_value){.type = DP_STRING, .s = "2020-09-28T12:56:00"});
    meter(hub, "bec", "mbus", 2, "00094824", "BEC", 32, 2, "ok", S(1601297775));
    /* published out of record order: the report sorts by record */
    publish(hub, &(point_spec){"bec", 1, "power", "W", "04", "A9 00", true, 382207, -2,
                               S(1601297775), 0, 0}, dbl(3822.07));
    publish(hub, &(point_spec){"bec", 0, "energy", "Wh", "0E", "84 00", true, 2887897, 1,
                               S(1601297775), 0, 0}, dbl(28878970));
    meter(hub, "wm1", "wmbus", -1, "99999999", "KAM", 1, 7, "ok", S(1601297000));
    publish(hub, &(point_spec){"wm1", 0, "volume", "m3", "04", "13", true, 1, -3, S(1601297000), 0,
                               0}, dbl(0.001));
    /* read in an earlier cycle, not read in this one: marked as the driver does */
    meter(hub, "heat1", "mbus", 5, "12345678", "LUG", 4, 4, "ok", S(1601290000));
    publish(hub, &(point_spec){"heat1", 0, "volume", "m3", "0C", "13", true, 90, -3, S(1601290000),
                               S(1601280000), 0}, dbl(0.09));
    publish(hub, &(point_spec){"heat1", 1, "flow_temperature", "C", "02", "5A", true, 1943, -1,
                               S(1601290000), 0, 0}, dbl(194.3));
    meter(hub, "heat1", "mbus", 5, "12345678", "LUG", 4, 4, "not_read", S(1601290000));
    datahub_set_meter_quality(hub, "heat1", stale, S(1601297780));
    /* never answered: no identity, no points, still listed */
    meter(hub, "gas9", "mbus", 9, NULL, NULL, 0, 0, "not_read", 0);
    dp counter = {.id = "bus1/requests", .value = {.type = DP_INT, .i = 7}, .unit = "",
                  .ts_ns = S(1601297784), .origin = {.record = -1}};
    datahub_publish(hub, &counter);
}

/* --- configuration --- */

static report *configure(const char *yaml, const char *name, cfg_err *err) {
    cfg_node *root = cfg_load_string(yaml, "test.yaml", err);
    CHECK_MSG(root != NULL, "%s", err->msg);
    report *r = report_configure(cfg_get(root, "reports"), name, err);
    cfg_free(root);
    return r;
}

static void test_config_errors(const char *dir) {
    cfg_err err;
    char yaml[512];
    CHECK(report_configure(NULL, "gw", &err) == NULL);
    CHECK_STR(err.msg, "");

    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s/x\n  csv: 6\n  jsno: true\n", dir);
    CHECK(configure(yaml, "gw", &err) == NULL);
    CHECK_MSG(strstr(err.msg, "test.yaml:4:3") && strstr(err.msg, "jsno"), "%s", err.msg);

    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s/x\n  csv: 2\n", dir);
    CHECK(configure(yaml, "gw", &err) == NULL);
    CHECK_MSG(strstr(err.msg, "test.yaml:3:8") && strstr(err.msg, "variant"), "%s", err.msg);

    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s/x\n  csv: yes-please\n", dir);
    CHECK(configure(yaml, "gw", &err) == NULL);
    CHECK_MSG(strstr(err.msg, "test.yaml:3:8"), "%s", err.msg);

    CHECK(configure("reports:\n  csv: 6\n", "gw", &err) == NULL);
    CHECK_MSG(strstr(err.msg, "test.yaml:2:3") && strstr(err.msg, "dir"), "%s", err.msg);

    /* both formats off: disabled, which is not an error */
    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s/x\n  csv: false\n  json: false\n", dir);
    CHECK(configure(yaml, "gw", &err) == NULL);
    CHECK_STR(err.msg, "");

    /* a directory that cannot be created (a file is in the way) */
    char file[300];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    FILE *f = fopen(file, "w");
    if (f)
        fclose(f);
    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s/sub\n", file);
    CHECK(configure(yaml, "gw", &err) == NULL);
    CHECK_MSG(strstr(err.msg, "test.yaml:2:8") && strstr(err.msg, "cannot create"), "%s",
              err.msg);
    unlink(file);
}

/* --- files produced for one cycle --- */

static int count_files(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        n += len >= sl && strcmp(e->d_name + len - sl, suffix) == 0;
    }
    if (d)
        closedir(d);
    return n;
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[600];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* One cycle end with CSV `variant` and JSON: compare both with the fixtures. */
static void test_plant_variant(const char *base, int variant) {
    char dir[300], yaml[600], got[700], want[100];
    snprintf(dir, sizeof dir, "%s/out%d/nested", base, variant); /* created by mkdir -p */
    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s\n  csv: %d\n  json: true\n", dir, variant);
    cfg_err err;
    report *r = configure(yaml, "gw-test", &err);
    CHECK_MSG(r != NULL, "variant %d: %s", variant, err.msg);
    if (!r)
        return;
    datahub *hub = datahub_new();
    report_attach(r, hub);
    build_plant(hub);
    datahub_cycle_end(hub, "mbus:bus1", CYCLE_TS);

    /* without a store each instance counts its own ids: both reports are id 1 */
    snprintf(got, sizeof got, "%s/gw-test_20200928T125624Z_mbus-bus1_1.csv", dir);
    snprintf(want, sizeof want, "fixtures/reports/plant.csv%d", variant);
    check_same_file(got, want);
    snprintf(got, sizeof got, "%s/gw-test_20200928T125624Z_mbus-bus1_1.json", dir);
    check_same_file(got, "fixtures/reports/plant.json");
    CHECK_INT(count_files(dir, ".tmp"), 0);
    CHECK_INT(count_files(dir, ".csv"), 1);
    CHECK_INT(count_files(dir, ".json"), 1);

    datahub_free(hub);
    report_free(r);
    remove_dir(dir);
    snprintf(dir, sizeof dir, "%s/out%d", base, variant);
    rmdir(dir);
}

/* A wireless cycle reports only the wireless meter; "csv: false" writes no CSV. */
static void test_other_source(const char *base) {
    char dir[300], yaml[600], path[700];
    snprintf(dir, sizeof dir, "%s/radio", base);
    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s\n  csv: false\n", dir);
    cfg_err err;
    report *r = configure(yaml, "gw/x", &err);
    CHECK_MSG(r != NULL, "%s", err.msg);
    if (!r)
        return;
    datahub *hub = datahub_new();
    report_attach(r, hub);
    build_plant(hub);
    datahub_cycle_end(hub, "wmbus:radio1", S(1601297790));
    CHECK_INT(count_files(dir, ".csv"), 0);
    snprintf(path, sizeof path, "%s/gw-x_20200928T125630Z_wmbus-radio1_1.json", dir);
    cfg_node *root = cfg_load_file(path, &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    const cfg_node *meters = cfg_get(cfg_get(root, "muc"), "meter");
    CHECK(meters && meters->kind == CFG_SEQ && meters->n == 1);
    if (meters && meters->n == 1) {
        CHECK_STR(cfg_get(meters->items[0], "METER_ID")->scalar, "99999999");
        CHECK_STR(cfg_get(meters->items[0], "INTERFACE")->scalar, "wMbus");
        CHECK_STR(cfg_get(meters->items[0], "MED")->scalar, "Water");
    }
    CHECK_STR(cfg_get(cfg_get(root, "muc"), "MUC_ID")->scalar, "gw/x");
    cfg_free(root);
    datahub_free(hub);
    report_free(r);
    remove_dir(dir);
}

/* --- the manual's JSON sample (§3.8), field by field --- */

static const char *field_of(const cfg_node *map, const char *key) {
    const cfg_node *n = cfg_get(map, key);
    return n && n->kind == CFG_SCALAR ? n->scalar : "<missing>";
}

static const cfg_node *item(const cfg_node *seq, size_t i) {
    return seq && seq->kind == CFG_SEQ && i < seq->n ? seq->items[i] : NULL;
}

static void check_data(const cfg_node *data, const char *desc, const char *unit, const char *scale,
                       const char *dif, const char *vif, const char *t_muc, const char *val) {
    CHECK_STR(field_of(data, "DESCRIPTION"), desc);
    CHECK_STR(field_of(data, "UNIT"), unit);
    CHECK_STR(field_of(data, "SCALE"), scale);
    CHECK_STR(field_of(data, "DIF"), dif);
    CHECK_STR(field_of(data, "VIF"), vif);
    const cfg_node *entry = item(cfg_get(data, "entry"), 0);
    CHECK_STR(field_of(entry, "T_MUC"), t_muc);
    CHECK_STR(field_of(entry, "VAL"), val);
    CHECK(cfg_get(entry, "T") == NULL); /* the sample's meters send no time */
    CHECK(cfg_get(entry, "QUALITY") == NULL);
}

static void test_manual_sample(const char *base) {
    char dir[300], yaml[600], path[700];
    snprintf(dir, sizeof dir, "%s/sample", base);
    snprintf(yaml, sizeof yaml, "reports:\n  dir: %s\n  json: true\n  csv: false\n", dir);
    cfg_err err;
    report *r = configure(yaml, "6891d0800e62", &err);
    CHECK_MSG(r != NULL, "%s", err.msg);
    if (!r)
        return;
    datahub *hub = datahub_new();
    report_attach(r, hub);
    meter(hub, "metering1", "mbus", 1, "00000001", "SIE", 21, 2, "ok", S(1601297770));
    publish(hub, &(point_spec){"metering1", 0, "energy", "Wh", "04", "03", true, 537980, 0,
                               S(1601297770), 0, 0}, dbl(537980));
    meter(hub, "bec1", "mbus", 2, "00094824", "BEC", 32, 2, "ok", S(1601297770));
    publish(hub, &(point_spec){"bec1", 0, "energy", "Wh", "0E", "84 00", true, 2887897, 1,
                               S(1601297770), 0, 0}, dbl(28878970));
    publish(hub, &(point_spec){"bec1", 1, "power", "W", "04", "A9 00", true, 382207, -2,
                               S(1601297770), 0, 0}, dbl(3822.07));
    datahub_cycle_end(hub, "mbus:bus1", CYCLE_TS);

    snprintf(path, sizeof path, "%s/6891d0800e62_20200928T125624Z_mbus-bus1_1.json", dir);
    cfg_node *root = cfg_load_file(path, &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    const cfg_node *muc = cfg_get(root, "muc");
    CHECK_STR(field_of(muc, "MUC_ID"), "6891d0800e62");
    CHECK_STR(field_of(muc, "VERSION"), "1");
    CHECK_STR(field_of(muc, "TIMESTAMP"), "1601297784");
    const cfg_node *meters = cfg_get(muc, "meter");
    CHECK(meters && meters->kind == CFG_SEQ && meters->n == 2);
    const cfg_node *m0 = item(meters, 0), *m1 = item(meters, 1);
    CHECK_STR(field_of(m0, "METER_ID"), "00000001");
    CHECK_STR(field_of(m0, "INTERFACE"), "Mbus");
    CHECK_STR(field_of(m0, "MAN"), "SIE");
    CHECK_STR(field_of(m0, "VER"), "21");
    CHECK_STR(field_of(m0, "MED"), "Electricity");
    CHECK_STR(field_of(m0, "MED_ID"), "2");
    CHECK_STR(field_of(m0, "USER"), "metering1");
    CHECK(cfg_get(m0, "data") && cfg_get(m0, "data")->n == 1);
    check_data(item(cfg_get(m0, "data"), 0), "Energy", "kWh", "0.001", "04", "03", "1601297770",
               "537980");
    CHECK_STR(field_of(m1, "METER_ID"), "00094824");
    CHECK_STR(field_of(m1, "INTERFACE"), "Mbus");
    CHECK_STR(field_of(m1, "MAN"), "BEC");
    CHECK_STR(field_of(m1, "VER"), "32");
    CHECK_STR(field_of(m1, "MED"), "Electricity");
    CHECK_STR(field_of(m1, "MED_ID"), "2");
    CHECK(cfg_get(m1, "data") && cfg_get(m1, "data")->n == 2);
    check_data(item(cfg_get(m1, "data"), 0), "Energy", "kWh", "0.01", "0E", "84 00", "1601297770",
               "2887897");
    check_data(item(cfg_get(m1, "data"), 1), "Power", "W", "0.01", "04", "A9 00", "1601297770",
               "382207");
    /* SCALE and VER are JSON numbers as in the sample, not strings. */
    char *text = read_file(path);
    CHECK(text && strstr(text, "\"SCALE\": 0.001,") && strstr(text, "\"VER\": 21,") &&
          strstr(text, "\"MED_ID\": 2,") && strstr(text, "\"TIMESTAMP\": 1601297784,"));
    free(text);
    cfg_free(root);
    datahub_free(hub);
    report_free(r);
    remove_dir(dir);
}

/* --- pure helpers --- */

static void test_formatting(void) {
    char buf[80];
    report_decimal_shift(537980, -3, buf, sizeof buf);
    CHECK_STR(buf, "537.98");
    report_decimal_shift(90, -3, buf, sizeof buf);
    CHECK_STR(buf, "0.09");
    report_decimal_shift(-5, -2, buf, sizeof buf);
    CHECK_STR(buf, "-0.05");
    report_decimal_shift(24214, 1, buf, sizeof buf);
    CHECK_STR(buf, "242140");
    report_decimal_shift(0, 3, buf, sizeof buf);
    CHECK_STR(buf, "0");
    report_decimal_shift(1000, -3, buf, sizeof buf);
    CHECK_STR(buf, "1");
    report_decimal_shift(1, -3, buf, sizeof buf);
    CHECK_STR(buf, "0.001");
    report_decimal_shift(INT64_MIN, 0, buf, sizeof buf);
    CHECK_STR(buf, "-9223372036854775808");
    report_double_text(0.1, buf, sizeof buf);
    CHECK_STR(buf, "0.1");
    report_double_text(1.0 / 3.0, buf, sizeof buf);
    CHECK(strtod(buf, NULL) == 1.0 / 3.0);
    report_time_readable(S(1601297784), buf, sizeof buf);
    CHECK_STR(buf, "2020-09-28T12:56:24Z");
    CHECK_INT(report_unix_s(-1), -1);

    CHECK_STR(report_medium_name(7), "Water");
    CHECK_STR(report_medium_name(49), "Communication controller");
    CHECK_STR(report_medium_name(16), "Reserved");
    CHECK_STR(report_description("volume_flow"), "Volume flow");
    CHECK_STR(report_description("my_own"), "my_own");
    CHECK_STR(report_description(NULL), "None");
    CHECK_STR(report_interface_name("wmbus"), "wMbus");
    rpt_unit u = report_unit("Wh", true);
    CHECK_STR(u.text, "kWh");
    CHECK_INT(u.shift, -3);
    u = report_unit("Wh", false);
    CHECK_STR(u.text, "Wh");
    CHECK_INT(u.shift, 0);
    u = report_unit("m3/h", true);
    CHECK_STR(u.text, "m^3/h");
    u = report_unit("varh", false);
    CHECK_STR(u.text, "kVARh");
    CHECK_INT(u.shift, -3);
    CHECK(report_csv_variant_ok(9) && !report_csv_variant_ok(2) && !report_csv_variant_ok(7));
}

/* Text with the CSV separator, quotes and control characters stays one field
 * in CSV and valid JSON. */
static void test_escaping(void) {
    dh_meter m = {.name = "a;b\"c", .interface = "mbus", .primary_address = -1, .serial = "1",
                  .manufacturer = "", .medium = -1, .status = "ok", .last_read_ns = S(10)};
    dp p = {.id = "x/0", .value = {.type = DP_STRING, .s = "x;\"y\"\n\t"}, .unit = "",
            .ts_ns = S(10), .origin = {.meter = "x", .record = 0, .quantity = "text"}};
    const dp *pts[] = {&p};
    rpt_meter rm = {&m, pts, 1};
    rpt_doc doc = {"gw", S(20), &rm, 1, 0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_INT(report_write_csv(f, &doc, 5), 0);
    fclose(f);
    CHECK_STR(buf, "Timestamp;DeviceId;Link;User;Value0;Scale0;Unit0;Description0;User0;"
                   "Timestamp0;Obisid0\n"
                   "10;1;;\"a;b\"\"c\";\"x;\"\"y\"\"\n\t\";;;"
                   "Meter specific description (text based);;0;\n");
    free(buf);
    f = open_memstream(&buf, &len);
    CHECK_INT(report_write_json(f, &doc), 0);
    fclose(f);
    CHECK(strstr(buf, "\"USER\": \"a;b\\\"c\"") != NULL);
    CHECK(strstr(buf, "\"VAL\": \"x;\\\"y\\\"\\n\\u0009\"") != NULL);
    CHECK(strstr(buf, "\"MAN\"") == NULL && strstr(buf, "\"MED\"") == NULL);
    cfg_err err;
    cfg_node *root = cfg_load_string(buf, "mem.json", &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    cfg_free(root);
    free(buf);

    /* an empty report is still a valid document */
    rpt_doc empty = {"gw", S(20), NULL, 0, 0};
    f = open_memstream(&buf, &len);
    report_write_json(f, &empty);
    fclose(f);
    CHECK_STR(buf, "{\n  \"muc\": {\n    \"MUC_ID\": \"gw\",\n    \"VERSION\": \"1\",\n"
                   "    \"TIMESTAMP\": 20,\n    \"meter\": []\n  }\n}\n");
    free(buf);
}

/* A duration in hours is published in seconds with the hours as raw value
 * (factor 3600, not a power of ten): the report must not write 18354 s. */
static void test_unit_factor(void) {
    dh_meter m = {.name = "emh", .interface = "mbus", .primary_address = 3, .serial = "00003898",
                  .manufacturer = "EMH", .version = 1, .medium = 2, .status = "ok",
                  .last_read_ns = S(1370135025)};
    dp p = {.id = "emh/0", .value = dbl(18354.0 * 3600), .unit = "s", .ts_ns = S(1370135025),
            .origin = {.meter = "emh", .record = 0, .quantity = "on_time",
                       .protocol = DP_PROTO_MBUS, .address = fake_mbus_address("04", "22", 0), .raw_int = 18354, .scale_exp = 0, .has_raw = true}};
    const dp *pts[] = {&p};
    rpt_meter rm = {&m, pts, 1};
    rpt_doc doc = {"gw", S(1370135030), &rm, 1, 0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_write_csv(f, &doc, 0);
    fclose(f);
    CHECK_STR(buf, "1370135025;EMH-00003898;66074400;1E+00;s;On time\n");
    free(buf);
    f = open_memstream(&buf, &len);
    report_write_json(f, &doc);
    fclose(f);
    CHECK(strstr(buf, "\"VAL\": \"66074400\"") && strstr(buf, "\"SCALE\": 1,"));
    free(buf);
}

int main(void) {
    char base[] = "/tmp/test_report_XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    test_formatting();
    test_escaping();
    test_unit_factor();
    test_config_errors(base);
    const int variants[] = {0, 1, 3, 4, 5, 6, 9};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        test_plant_variant(base, variants[i]);
    test_other_source(base);
    test_manual_sample(base);
    rmdir(base);
    return test_summary("test_report");
}
