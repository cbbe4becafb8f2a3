/* report transports: pick the backend an instance configures, and the helpers
 * backends share. */
#include "north/report/report_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

rpt_transport *transport_configure(const cfg_node *node, const char *gateway,
                                   const char *instance, cfg_err *err) {
    static const char *const keys[] = {"file", "mqtt", "http", NULL};
    if (!node || node->kind != CFG_MAP || node->n != 1) {
        cfg_fail(err, node, "transport: expected a map with one of file, mqtt, http");
        return NULL;
    }
    if (!cfg_only_keys(node, keys, err))
        return NULL;
    const cfg_node *map = node->items[0];
    if (map->kind != CFG_MAP) {
        cfg_fail(err, map, "transport.%s: expected a map", node->keys[0]);
        return NULL;
    }
    rpt_transport *t = NULL;
    if (strcmp(node->keys[0], "file") == 0)
        t = transport_file_new(map, err);
    else if (strcmp(node->keys[0], "mqtt") == 0)
        t = transport_mqtt_new(map, gateway, instance, err);
    else
        t = transport_http_new(map, err);
    if (!t)
        return NULL;
    t->instance = strdup(instance);
    t->gateway = strdup(gateway);
    if (!t->instance || !t->gateway) {
        transport_free(t);
        cfg_fail(err, node, "transport: out of memory");
        return NULL;
    }
    return t;
}

void transport_bind(rpt_transport *t, gw_loop *loop, rpt_sent_cb done, void *arg) {
    t->loop = loop;
    t->done = done;
    t->arg = arg;
}

void transport_free(rpt_transport *t) {
    if (!t)
        return;
    char *instance = t->instance, *gateway = t->gateway;
    t->ops->free(t);
    free(instance);
    free(gateway);
}

/* mkdir -p: create each missing component; fine if it exists as a directory. */
int transport_make_dirs(const char *path) {
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *c = p + 1; rc == 0; c++) {
        bool end = *c == '\0';
        if (*c == '/' || end) {
            *c = '\0';
            struct stat st;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                rc = -1;
            else if (stat(p, &st) != 0)
                rc = -1;
            else if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                rc = -1;
            }
            if (end)
                break;
            *c = '/';
        }
    }
    free(p);
    return rc;
}
