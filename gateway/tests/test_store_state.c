/* store_state_get/set and store_point_latest_ts: what the DLMS client keeps across
 * a restart (HLS frame counters, profile read positions). Each check reopens the
 * database, as gwd does after a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/state.h"
#include "core/datahub.h"
#include "core/loop.h"
#include "store/store.h"
#include "tests/test.h"

static char db_path[64];

static gw_store *open_store(void) {
    char err[256] = "";
    gw_store *s = store_open(db_path, err, sizeof err);
    CHECK_MSG(s != NULL, "%s", err);
    return s;
}

static void test_state_survives_reopen(void) {
    gw_store *s = open_store();
    if (!s) return;
    int64_t v = -1;
    CHECK(!store_state_get(s, "dlms/m1/fc", &v));
    CHECK_INT(v, -1);
    CHECK(store_state_set(s, "dlms/m1/fc", 257));
    CHECK(store_state_set(s, "dlms/m2/fc", 4294967040LL));
    CHECK(store_state_set(s, "dlms/m1/fc", 513)); /* replaced, not added */
    store_close(s);

    s = open_store();
    if (!s) return;
    CHECK(store_state_get(s, "dlms/m1/fc", &v));
    CHECK_INT(v, 513);
    CHECK(store_state_get(s, "dlms/m2/fc", &v));
    CHECK_INT(v, 4294967040LL);
    CHECK(!store_state_get(s, "dlms/m3/fc", &v));
    store_close(s);
}

/* Profile entries published with their capture times: the newest is where the
 * next read resumes, also while the cycle's transaction is still open. */
static void test_latest_point_ts(void) {
    gw_store *s = open_store();
    if (!s) return;
    datahub *hub = datahub_new();
    gw_loop *loop = loop_new();
    store_attach(s, hub, loop);
    CHECK_INT(store_point_latest_ts(s, "m1/load_profile/1"), 0);
    const int64_t entries[] = {1767225600000000000LL, 1767227400000000000LL, 1767226500000000000LL};
    for (size_t i = 0; i < 3; i++) {
        dp p = {0};
        p.id = "m1/load_profile/1";
        p.unit = "Wh";
        p.ts_ns = entries[i];
        p.origin.meter = "m1";
        p.value.type = DP_DOUBLE;
        p.value.d = 1000.0 + (double)i;
        datahub_publish(hub, &p);
    }
    CHECK_INT(store_point_latest_ts(s, "m1/load_profile/1"), 1767227400000000000LL);
    CHECK_INT(store_point_latest_ts(s, "m1/events/1"), 0);
    store_close(s);
    datahub_free(hub);
    loop_free(loop);

    s = open_store();
    if (!s) return;
    CHECK_INT(store_point_latest_ts(s, "m1/load_profile/1"), 1767227400000000000LL);
    store_close(s);
}

static void count_sample(void *arg, bool has_number, double number, const char *text) {
    (*(int *)arg)++;
}

/* The same through core/state.h, as drivers get it (gw_services.state), and
 * nothing at all without a store. */
static void test_state_interface(void) {
    int64_t v = -1;
    int n = 0;
    CHECK(store_state(NULL) == NULL);
    CHECK(!gw_state_get(NULL, "dlms/m1/fc", &v));
    CHECK(!gw_state_put(NULL, "dlms/m1/fc", 1));
    CHECK_INT(gw_state_point_latest(NULL, "m1/load_profile/1"), 0);
    CHECK_INT((int64_t)gw_state_point_samples_at(NULL, "m1/load_profile/1", 1, count_sample, &n), 0);
    gw_store *s = open_store();
    if (!s) return;
    const gw_state *st = store_state(s);
    CHECK(gw_state_put(st, "dlms/m4/fc", 769));
    CHECK(gw_state_get(st, "dlms/m4/fc", &v));
    CHECK_INT(v, 769);
    CHECK_INT(gw_state_point_latest(st, "m1/load_profile/1"), 1767227400000000000LL);
    CHECK_INT((int64_t)gw_state_point_samples_at(st, "m1/load_profile/1", 1767227400000000000LL,
                                                 count_sample, &n), 1);
    CHECK_INT(n, 1);
    store_close(s);
}

int main(void) {
    clock_use_virtual(1767225600000000000LL);
    snprintf(db_path, sizeof db_path, "/tmp/test_store_state_%d.db", (int)getpid());
    unlink(db_path);
    test_state_survives_reopen();
    test_latest_point_ts();
    test_state_interface();
    char side[80];
    unlink(db_path);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    return test_summary("store_state");
}
