/* store_state_get/set and store_point_latest_ts: what the DLMS client keeps across
 * a restart (HLS frame counters, profile read positions). Each check reopens the
 * database, as gwd does after a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
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

int main(void) {
    clock_use_virtual(1767225600000000000LL);
    snprintf(db_path, sizeof db_path, "/tmp/test_store_state_%d.db", (int)getpid());
    unlink(db_path);
    test_state_survives_reopen();
    test_latest_point_ts();
    char side[80];
    unlink(db_path);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    return test_summary("store_state");
}
