/* report transports: the table of kinds, and picking the row an instance
 * configures. Order matters only for the messages that list the kinds. */
#include "north/report/report_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rpt_transport_kind *const kinds[] = {
    &transport_file_kind,
    &transport_mqtt_kind,
    &transport_http_kind,
    &transport_smtp_kind,
    &transport_ftp_kind,
    &transport_sftp_kind,
};

#define N_KINDS (sizeof kinds / sizeof kinds[0])

static const rpt_transport_kind *kind_named(const char *name) {
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

/* "file, mqtt, http, smtp, ftp, sftp" */
static const char *kind_list(void) {
    static char list[128];
    size_t used = 0;
    for (size_t i = 0; i < N_KINDS && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 kinds[i]->name);
    return list;
}

rpt_transport *transport_configure(const cfg_node *node, const char *gateway,
                                   const char *instance, cfg_err *err) {
    const char *keys[N_KINDS + 1];
    for (size_t i = 0; i < N_KINDS; i++)
        keys[i] = kinds[i]->name;
    keys[N_KINDS] = NULL;
    if (!node || node->kind != CFG_MAP || node->n != 1) {
        cfg_fail(err, node, "transport: expected a map with one of %s", kind_list());
        return NULL;
    }
    if (!cfg_only_keys(node, keys, err))
        return NULL;
    const cfg_node *map = node->items[0];
    if (map->kind != CFG_MAP) {
        cfg_fail(err, map, "transport.%s: expected a map", node->keys[0]);
        return NULL;
    }
    rpt_transport *t = kind_named(node->keys[0])->parse(map, gateway, instance, err);
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

void transport_bind(rpt_transport *t, gw_loop *loop, const rpt_transport_hooks *hooks) {
    t->loop = loop;
    t->hooks = *hooks;
}

void transport_send(rpt_transport *t, const store_msg *msg) {
    t->kind->send(t, msg);
}

void transport_free(rpt_transport *t) {
    if (!t)
        return;
    char *instance = t->instance, *gateway = t->gateway;
    t->kind->free(t);
    free(instance);
    free(gateway);
}
