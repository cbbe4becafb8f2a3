/* transport mqtt: publish each report with QoS 1 to the instance's topic
 * through libmosquitto, driven by the gateway's loop (mosquitto_socket with
 * loop fds, mosquitto_loop_read/write/misc; never its own thread or a blocking
 * call except name resolution of a host name — use an address on the target).
 *
 * MQTT v5 so the report id travels as a user property ("report_id", and
 * "report_name" = the file name): subscribers deduplicate by it. A report is
 * delivered when its PUBACK arrives with a success reason code. Any error (no
 * broker, lost connection, no PUBACK within `timeout`) fails the current report
 * and drops the connection; the next attempt connects afresh, and the queue
 * sends the same report (same id) again: at least once, in order. */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "north/report/report_transport.h"

#define MISC_PERIOD_NS NS_PER_S

typedef struct mqtt_transport {
    rpt_transport base;
    char *client_id, *host, *topic, *username, *password;
    char *ca_file, *cert_file, *key_file;
    bool tls, insecure;
    int port, qos, keepalive_s;
    int64_t timeout_ns;

    struct mosquitto *m;
    int fd;
    bool connected, broken;
    char broken_why[160];
    /* the report in flight */
    bool busy;
    int64_t id;
    int mid;
    char *name, *body;
    size_t len;
    loop_timer_id misc_timer, timeout_timer;
} mqtt_transport;

static int lib_users;

static void finish(mqtt_transport *t, bool ok, const char *why) {
    if (!t->busy)
        return;
    t->busy = false;
    loop_timer_cancel(t->base.loop, t->timeout_timer);
    t->timeout_timer = 0;
    free(t->body);
    free(t->name);
    t->body = t->name = NULL;
    t->base.hooks.sent(t->base.hooks.ctx, t->id, ok, why);
}

/* Drop the connection (never from inside a libmosquitto callback: those only
 * mark it broken, and the caller of mosquitto_loop_* tears down afterwards). */
static void teardown(mqtt_transport *t) {
    if (t->fd >= 0)
        loop_del_fd(t->base.loop, t->fd);
    t->fd = -1;
    loop_timer_cancel(t->base.loop, t->misc_timer);
    t->misc_timer = 0;
    if (t->m)
        mosquitto_destroy(t->m);
    t->m = NULL;
    t->connected = false;
}

static void fail(mqtt_transport *t, const char *why) {
    log_warn("report", "mqtt %s:%d: %s", t->host, t->port, why);
    teardown(t);
    finish(t, false, why);
}

static void mark_broken(mqtt_transport *t, const char *why) {
    t->broken = true;
    snprintf(t->broken_why, sizeof t->broken_why, "%s", why);
}

static void watch(mqtt_transport *t) {
    if (t->m && t->fd >= 0)
        loop_mod_fd(t->base.loop, t->fd, LOOP_READ | (mosquitto_want_write(t->m) ? LOOP_WRITE : 0));
}

static void after_io(mqtt_transport *t, int rc, const char *what) {
    if (rc != MOSQ_ERR_SUCCESS && !t->broken) {
        char why[160];
        snprintf(why, sizeof why, "%s: %s", what, mosquitto_strerror(rc));
        mark_broken(t, why);
    }
    if (t->broken) {
        t->broken = false;
        fail(t, t->broken_why);
        return;
    }
    watch(t);
}

static void publish(mqtt_transport *t) {
    mosquitto_property *props = NULL;
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)t->id);
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "report_id", id);
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "report_name", t->name);
    int rc = mosquitto_publish_v5(t->m, &t->mid, t->topic, (int)t->len, t->body, t->qos, false,
                                  props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS)
        mark_broken(t, mosquitto_strerror(rc));
}

static void on_connect(struct mosquitto *m, void *arg, int rc, int flags,
                       const mosquitto_property *props) {
    mqtt_transport *t = arg;
    if (rc != 0) {
        char why[96];
        snprintf(why, sizeof why, "connection refused: %s", mosquitto_reason_string(rc));
        mark_broken(t, why);
        return;
    }
    t->connected = true;
    if (t->busy)
        publish(t);
}

static void on_publish(struct mosquitto *m, void *arg, int mid, int reason,
                       const mosquitto_property *props) {
    mqtt_transport *t = arg;
    if (!t->busy || mid != t->mid)
        return;
    if (reason >= 0x80) {
        char why[96];
        snprintf(why, sizeof why, "publish refused: %s", mosquitto_reason_string(reason));
        finish(t, false, why);
        return;
    }
    finish(t, true, "");
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc, const mosquitto_property *props) {
    mark_broken(arg, "connection lost");
}

static void on_fd(gw_loop *loop, int fd, unsigned events, void *arg) {
    mqtt_transport *t = arg;
    int rc = MOSQ_ERR_SUCCESS;
    if (events & LOOP_READ)
        rc = mosquitto_loop_read(t->m, 1);
    if (rc == MOSQ_ERR_SUCCESS && t->m && (events & LOOP_WRITE))
        rc = mosquitto_loop_write(t->m, 1);
    after_io(t, rc, "connection");
}

static void on_misc(gw_loop *loop, void *arg) {
    mqtt_transport *t = arg;
    t->misc_timer = 0;
    if (!t->m)
        return;
    after_io(t, mosquitto_loop_misc(t->m), "keepalive");
    if (t->m)
        t->misc_timer = loop_timer_after(loop, MISC_PERIOD_NS, on_misc, t);
}

static void on_timeout(gw_loop *loop, void *arg) {
    mqtt_transport *t = arg;
    t->timeout_timer = 0;
    fail(t, t->connected ? "no PUBACK in time" : "no connection in time");
}

static bool setup_client(mqtt_transport *t) {
    t->m = mosquitto_new(t->client_id, true, t);
    if (!t->m)
        return false;
    mosquitto_int_option(t->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(t->m, on_connect);
    mosquitto_publish_v5_callback_set(t->m, on_publish);
    mosquitto_disconnect_v5_callback_set(t->m, on_disconnect);
    if (t->username && mosquitto_username_pw_set(t->m, t->username, t->password) != 0)
        return false;
    if (t->tls) {
        if (mosquitto_tls_set(t->m, t->ca_file, NULL, t->cert_file, t->key_file, NULL) != 0)
            return false;
        mosquitto_tls_insecure_set(t->m, t->insecure);
    }
    return true;
}

static void connect_start(mqtt_transport *t) {
    if (!setup_client(t)) {
        fail(t, "cannot set up the MQTT client (TLS files?)");
        return;
    }
    int rc = mosquitto_connect_async(t->m, t->host, t->port, t->keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
        char why[160];
        snprintf(why, sizeof why, "cannot connect: %s", mosquitto_strerror(rc));
        fail(t, why);
        return;
    }
    t->fd = mosquitto_socket(t->m);
    if (t->fd < 0 || loop_add_fd(t->base.loop, t->fd, LOOP_READ | LOOP_WRITE, on_fd, t) != 0) {
        t->fd = -1;
        fail(t, "no socket");
        return;
    }
    t->misc_timer = loop_timer_after(t->base.loop, MISC_PERIOD_NS, on_misc, t);
}

static void mqtt_send(rpt_transport *base, const store_msg *msg) {
    mqtt_transport *t = (mqtt_transport *)base;
    if (!base->loop) {
        base->hooks.sent(base->hooks.ctx, msg->id, false, "mqtt needs the event loop");
        return;
    }
    t->busy = true;
    t->id = msg->id;
    t->len = msg->len;
    t->name = strdup(msg->name ? msg->name : "");
    t->body = malloc(msg->len ? msg->len : 1);
    if (!t->name || !t->body) {
        finish(t, false, "out of memory");
        return;
    }
    memcpy(t->body, msg->body, msg->len);
    t->timeout_timer = loop_timer_after(base->loop, t->timeout_ns, on_timeout, t);
    if (!t->m) {
        connect_start(t);
        return;
    }
    if (t->connected) {
        publish(t);
        after_io(t, MOSQ_ERR_SUCCESS, "publish");
    }
}

static void mqtt_free(rpt_transport *base) {
    mqtt_transport *t = (mqtt_transport *)base;
    if (base->loop)
        loop_timer_cancel(base->loop, t->timeout_timer);
    if (t->m && base->loop)
        teardown(t);
    else if (t->m)
        mosquitto_destroy(t->m);
    free(t->body);
    free(t->name);
    char **strings[] = {&t->client_id, &t->host, &t->topic, &t->username, &t->password,
                        &t->ca_file, &t->cert_file, &t->key_file};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    free(t);
    if (--lib_users == 0)
        mosquitto_lib_cleanup();
}


static bool dup_opt(const cfg_node *map, const char *key, const char *def, char **out,
                    cfg_err *err) {
    const char *v;
    if (!cfg_str(map, key, def, &v, err))
        return false;
    *out = v ? strdup(v) : NULL;
    return true;
}

static bool read_tls(mqtt_transport *t, const cfg_node *tls, cfg_err *err) {
    static const char *const keys[] = {"ca_file", "cert_file", "key_file", "insecure", NULL};
    if (!tls)
        return true;
    if (tls->kind != CFG_MAP)
        return cfg_fail(err, tls, "transport.mqtt.tls: expected a map (ca_file, cert_file, "
                        "key_file, insecure)");
    t->tls = true;
    return cfg_only_keys(tls, keys, err) && dup_opt(tls, "ca_file", NULL, &t->ca_file, err) &&
           dup_opt(tls, "cert_file", NULL, &t->cert_file, err) &&
           dup_opt(tls, "key_file", NULL, &t->key_file, err) &&
           cfg_bool(tls, "insecure", false, &t->insecure, err) &&
           (t->ca_file || cfg_fail(err, tls, "transport.mqtt.tls: ca_file is required"));
}

static bool read_mqtt(mqtt_transport *t, const cfg_node *map, const char *gateway,
                      const char *instance, cfg_err *err) {
    static const char *const keys[] = {"host", "port", "topic", "qos", "username", "password",
                                       "tls", "timeout", "keepalive", "client_id", NULL};
    long long port, qos;
    int64_t keepalive;
    char def_topic[256], client_id[256];
    snprintf(def_topic, sizeof def_topic, "%s/%s", gateway, instance);
    snprintf(client_id, sizeof client_id, "%s-%s", gateway, instance);
    if (!cfg_only_keys(map, keys, err) || !cfg_require(map, "host", CFG_SCALAR, err) ||
        !dup_opt(map, "host", NULL, &t->host, err) ||
        !read_tls(t, cfg_get(map, "tls"), err) ||
        !cfg_int(map, "port", t->tls ? 8883 : 1883, 1, 65535, &port, err) ||
        !cfg_int(map, "qos", 1, 1, 2, &qos, err) ||
        !dup_opt(map, "topic", def_topic, &t->topic, err) ||
        !dup_opt(map, "client_id", client_id, &t->client_id, err) ||
        !dup_opt(map, "username", NULL, &t->username, err) ||
        !dup_opt(map, "password", NULL, &t->password, err) ||
        !cfg_duration_ns(map, "timeout", 30 * NS_PER_S, &t->timeout_ns, err) ||
        !cfg_duration_ns(map, "keepalive", 60 * NS_PER_S, &keepalive, err))
        return false;
    if (!*t->topic || strpbrk(t->topic, "+#"))
        return cfg_fail(err, cfg_get(map, "topic"),
                        "transport.mqtt.topic: a topic name without wildcards is needed");
    if (t->timeout_ns <= 0)
        return cfg_fail(err, cfg_get(map, "timeout"), "transport.mqtt.timeout must be > 0");
    t->port = (int)port;
    t->qos = (int)qos;
    t->keepalive_s = keepalive < 5 * NS_PER_S ? 5 : (int)(keepalive / NS_PER_S);
    return true;
}

static rpt_transport *mqtt_parse(const cfg_node *map, const char *gateway, const char *instance,
                                 cfg_err *err) {
    mqtt_transport *t = calloc(1, sizeof *t);
    if (!t) {
        cfg_fail(err, map, "transport.mqtt: out of memory");
        return NULL;
    }
    if (lib_users++ == 0)
        mosquitto_lib_init();
    t->base.kind = &transport_mqtt_kind;
    t->fd = -1;
    if (!read_mqtt(t, map, gateway, instance, err)) {
        mqtt_free(&t->base);
        return NULL;
    }
    return &t->base;
}

const rpt_transport_kind transport_mqtt_kind = {
    .name = "mqtt", .needs_loop = true, .parse = mqtt_parse, .send = mqtt_send, .free = mqtt_free};
