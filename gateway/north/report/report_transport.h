/* report transports: how a queued report leaves the gateway.
 *
 * Every transport is one row of a table (rpt_transport_kind): its name, the
 * key under `transport:` in the configuration, and how to parse its map, send
 * one message and free it. The delivery code only calls through the row, and a
 * transport only answers through the hooks it was bound to; a new transport is
 * its file (exporting its row) and one line in report_transport.c's table.
 *
 * A transport takes one message at a time (the delivery code never has two in
 * flight, so reports arrive in queue order) and reports the outcome once through
 * hooks.sent: ok = the peer has it (file renamed into place, MQTT PUBACK,
 * HTTP 2xx, SMTP 250 after DATA, FTP/SFTP file uploaded and renamed into place).
 * Network transports run on the loop (its fds and timers); they
 * never block. */
#ifndef GW_REPORT_TRANSPORT_H
#define GW_REPORT_TRANSPORT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/loop.h"
#include "store/store.h"

/* Where a transport reports the outcome of a send. */
typedef struct rpt_transport_hooks {
    void *ctx;
    void (*sent)(void *ctx, int64_t id, bool ok, const char *why);
} rpt_transport_hooks;

typedef struct rpt_transport rpt_transport;

typedef struct rpt_transport_kind {
    const char *name;  /* "file", "mqtt", "http", "smtp", ...: the key under transport: */
    bool needs_loop;   /* cannot send without the event loop (network) */
    /* CMe3100 template numbering: the protocol digit of the transport's
     * templates, 1 e-mail, 2 FTP (and SFTP), 3 HTTP; 0: the CMe3100 has no such
     * transport (file, MQTT), so no template number. */
    int template_prefix;
    /* A transport from its map (gateway and instance name the defaults, e.g.
     * MQTT's client id "<gateway>-<instance>"); NULL with err set. */
    rpt_transport *(*parse)(const cfg_node *map, const char *gateway, const char *instance,
                            cfg_err *err);
    /* Start delivering msg (the transport copies what it needs). hooks.sent
     * runs exactly once, possibly before send returns (file). */
    void (*send)(rpt_transport *t, const store_msg *msg);
    void (*free)(rpt_transport *t);
} rpt_transport_kind;

/* Every transport's struct starts with this header. */
struct rpt_transport {
    const rpt_transport_kind *kind;
    gw_loop *loop; /* NULL: only the file transport works (synchronously) */
    rpt_transport_hooks hooks;
    char *instance; /* report instance name (MQTT client id, log messages) */
    char *gateway;  /* gateway name */
    int template_no; /* CMe3100 template number (report_template.h), 0 = none */
};

/* Read the `transport:` map of an instance: exactly one of the table's kinds. */
rpt_transport *transport_configure(const cfg_node *node, const char *gateway,
                                   const char *instance, cfg_err *err);
void transport_bind(rpt_transport *t, gw_loop *loop, const rpt_transport_hooks *hooks);
void transport_send(rpt_transport *t, const store_msg *msg);
void transport_free(rpt_transport *t);

/* The rows, each defined in its own file (transport_<name>.c). */
extern const rpt_transport_kind transport_file_kind, transport_mqtt_kind, transport_http_kind;
extern const rpt_transport_kind transport_smtp_kind, transport_ftp_kind, transport_sftp_kind;
/* The file kind also opens a directory given as such (the `reports.dir`
 * shortcut); created when missing, NULL with errno set. */
rpt_transport *transport_file_at(const char *dir);
#endif
