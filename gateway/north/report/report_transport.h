/* report transports: how a queued report leaves the gateway.
 *
 * A transport takes one message at a time (the delivery code never has two in
 * flight, so reports arrive in queue order) and reports the outcome once through
 * the callback: ok = the peer has it (file renamed into place, MQTT PUBACK,
 * HTTP 2xx). Network transports run on the loop (its fds and timers); they
 * never block. Backends: transport_file.c, transport_mqtt.c, transport_http.c. */
#ifndef GW_REPORT_TRANSPORT_H
#define GW_REPORT_TRANSPORT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/loop.h"
#include "store/store.h"

typedef void (*rpt_sent_cb)(void *arg, int64_t id, bool ok, const char *why);

typedef struct rpt_transport rpt_transport;
typedef struct rpt_transport_ops {
    const char *kind; /* "file", "mqtt", "http" */
    /* Start delivering msg (the transport copies what it needs). The callback
     * runs exactly once, possibly before send returns (file). */
    void (*send)(rpt_transport *t, const store_msg *msg);
    void (*free)(rpt_transport *t);
} rpt_transport_ops;

/* Every backend's struct starts with this header. */
struct rpt_transport {
    const rpt_transport_ops *ops;
    gw_loop *loop; /* NULL: only the file transport works (synchronously) */
    rpt_sent_cb done;
    void *arg;
    char *instance; /* report instance name (MQTT client id, log messages) */
    char *gateway;  /* gateway name */
};

/* Read the `transport:` map of an instance: exactly one of file / mqtt / http. */
rpt_transport *transport_configure(const cfg_node *node, const char *gateway,
                                   const char *instance, cfg_err *err);
void transport_bind(rpt_transport *t, gw_loop *loop, rpt_sent_cb done, void *arg);
void transport_free(rpt_transport *t);

/* Backends (each reads its own map). */
rpt_transport *transport_file_new(const cfg_node *map, cfg_err *err);
/* A file transport into dir (created when missing); NULL with errno set. */
rpt_transport *transport_file_at(const char *dir);
/* MQTT defaults: client id "<gateway>-<instance>", topic "<gateway>/<instance>". */
rpt_transport *transport_mqtt_new(const cfg_node *map, const char *gateway, const char *instance,
                                  cfg_err *err);
rpt_transport *transport_http_new(const cfg_node *map, cfg_err *err);
/* Shared by backends: "mkdir -p" (report_transport.c). */
int transport_make_dirs(const char *path);
#endif
