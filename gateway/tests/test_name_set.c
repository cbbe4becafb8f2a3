/* name_set and the duplicate checks built on it: correctness at the scale of a
 * large installation (timings belong to `make bench`, not here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "south/mbus/mbus_config.h"
#include "core/name_set.h"
#include "tests/test.h"

#define N_NAMES 300000

static void test_set_at_scale(void) {
    char (*names)[16] = malloc(N_NAMES * sizeof *names);
    name_set set = {0};
    size_t added = 0;
    for (size_t i = 0; i < N_NAMES; i++) {
        snprintf(names[i], sizeof names[i], "meter%zu", i);
        added += name_set_add(&set, names[i], names[i], NULL) == 1;
    }
    CHECK_INT(added, N_NAMES);
    CHECK_INT(set.used, N_NAMES);
    const void *first = NULL;
    CHECK_INT(name_set_add(&set, "meter123456", "again", &first), 0);
    CHECK(first == names[123456]);
    CHECK(name_set_find(&set, "meter299999") == names[299999]);
    CHECK(name_set_find(&set, "meter300000") == NULL);
    CHECK(name_set_find(&set, "meter") == NULL);
    name_set_free(&set);
    CHECK(name_set_find(&set, "meter1") == NULL);
    free(names);
}

/* n meters on one segment; meter `dup` (if < n) is named like meter `of`. */
static char *big_config(size_t n, size_t dup, size_t of) {
    size_t cap = 64 + n * 48;
    char *text = malloc(cap);
    size_t used = (size_t)snprintf(text, cap, "mbus:\n  - name: bus1\n    device: /dev/null\n    meters:\n");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used, "      - {name: m%zu, primary: %zu}\n",
                                 i == dup ? of : i, i % 251);
    return text;
}

static void test_mbus_duplicates_at_scale(void) {
    cfg_err err = {{0}};
    char *text = big_config(100000, (size_t)-1, 0);
    cfg_node *root = cfg_load_string(text, "big.yaml", &err);
    mbus_config *cfg = mbus_config_parse(cfg_get(root, "mbus"), &err);
    CHECK_MSG(cfg != NULL, "%s", err.msg);
    CHECK_INT(cfg ? cfg->segments[0].n_meters : 0, 100000);
    mbus_config_free(cfg);
    cfg_free(root);
    free(text);

    /* meter 99,999 (line 100,004) repeats the name of meter 40,000 (line 40,005) */
    text = big_config(100000, 99999, 40000);
    root = cfg_load_string(text, "big.yaml", &err);
    cfg = mbus_config_parse(cfg_get(root, "mbus"), &err);
    CHECK(cfg == NULL);
    CHECK_STR(err.msg, "big.yaml:100004:16: duplicate meter name \"m40000\" (first at line 40005)");
    mbus_config_free(cfg);
    cfg_free(root);
    free(text);
}

static void test_segment_and_cross_segment_names(void) {
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_string("mbus:\n"
                                     "  - {name: bus1, device: /dev/null, meters: [{name: a, primary: 1}]}\n"
                                     "  - {name: bus2, device: /dev/null, meters: [{name: a, primary: 1}]}\n",
                                     "gw.yaml", &err);
    CHECK(mbus_config_parse(cfg_get(root, "mbus"), &err) == NULL);
    CHECK_STR(err.msg, "gw.yaml:3:53: duplicate meter name \"a\" (first at line 2)");
    cfg_free(root);
    root = cfg_load_string("mbus:\n"
                           "  - {name: bus1, device: /dev/null, meters: []}\n"
                           "  - {name: bus1, device: /dev/null, meters: []}\n",
                           "gw.yaml", &err);
    CHECK(mbus_config_parse(cfg_get(root, "mbus"), &err) == NULL);
    CHECK_STR(err.msg, "gw.yaml:3:12: duplicate mbus segment name \"bus1\" (first at line 2)");
    cfg_free(root);
}

int main(void) {
    test_set_at_scale();
    test_mbus_duplicates_at_scale();
    test_segment_and_cross_segment_names();
    return test_summary("test_name_set");
}
