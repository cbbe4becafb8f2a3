/* Reports of DLMS meters: points selected by quantity or by the logical name in their
 * origin (as quantities read before DLMS points had real ones), and the logical name
 * written as CSV's ObisidX and XML-8's OBIS_ID. */
#include <string.h>

#include "core/clock.h"
#include "core/datahub.h"
#include "north/report/report_inst.h"
#include "store/store.h"
#include "tests/test.h"

#define S(s) ((int64_t)(s) * NS_PER_S)

static void publish(datahub *hub, const char *id, const char *quantity, const char *address, double v) {
    dp p = {.id = id, .value = {.type = DP_DOUBLE, .d = v}, .unit = "Wh", .ts_ns = S(1700000000)};
    p.origin = (dp_origin){.meter = "em1", .record = -1, .protocol = DP_PROTO_DLMS, .address = address,
                           .quantity = quantity, .function = "instantaneous"};
    datahub_publish(hub, &p);
}

static datahub *plant(void) {
    datahub *hub = datahub_new();
    dh_meter m = {.name = "em1", .interface = "dlms", .primary_address = -1, .serial = "SER1",
                  .status = "ok", .last_read_ns = S(1700000000)};
    datahub_meter(hub, &m);
    publish(hub, "em1/import", "energy", "1-0:1.8.0.255 class 3 attr 2", 1000);
    publish(hub, "em1/export", "energy", "1-0:2.8.0.255 class 3 attr 2", 2000);
    publish(hub, "em1/lp/1", "energy", "1-0:2.8.1.255 class 3 attr 2", 3000);
    return hub;
}

/* The body of the report the instance renders now (static buffer). */
static const char *render(rpt_format_kind kind, int variant, char **quantities, size_t n) {
    static char body[4096];
    datahub *hub = plant();
    rpt_instance in = {.name = "", .kind = kind, .variant = variant, .quantities = quantities,
                       .n_quantities = n};
    store_msg msg = {0};
    body[0] = '\0';
    if (report_render(&in, hub, "dlms:net1", 1, S(1700000060), "gw", &msg) && msg.body)
        snprintf(body, sizeof body, "%s", msg.body);
    store_msg_free(&msg);
    datahub_free(hub);
    return body;
}

static void test_selection(void) {
    char *by_quantity[] = {"energy"};
    const char *all = render(RF_CSV, 4, by_quantity, 1);
    CHECK(strstr(all, "1-0:1.8.0.255") && strstr(all, "1-0:2.8.0.255") && strstr(all, "1-0:2.8.1.255"));
    char *by_obis[] = {"1-0:2.8.0.255"};
    const char *one = render(RF_CSV, 4, by_obis, 1);
    CHECK(strstr(one, "1-0:2.8.0.255") && !strstr(one, "1-0:1.8.0.255") && !strstr(one, "1-0:2.8.1.255"));
    char *with_attr[] = {"1-0:2.8.1.255/2"};
    const char *col = render(RF_CSV, 4, with_attr, 1);
    CHECK(strstr(col, "1-0:2.8.1.255") && !strstr(col, "1-0:2.8.0.255"));
    char *other_attr[] = {"1-0:2.8.1.255/3", "voltage"};
    CHECK(!strstr(render(RF_CSV, 4, other_attr, 2), "1-0:"));
}

static void test_obis_written(void) {
    CHECK(strstr(render(RF_XML, 8, NULL, 0), "OBIS_ID=\"1-0:2.8.0.255\""));
    const char *xml9 = render(RF_XML, 9, NULL, 0);
    CHECK(!strstr(xml9, "OBIS_ID") && !strstr(xml9, "DIF="));
    CHECK(!strstr(render(RF_JSON, 0, NULL, 0), "\"DIF\""));
}

int main(void) {
    test_selection();
    test_obis_written();
    return test_summary("test_report_dlms");
}
