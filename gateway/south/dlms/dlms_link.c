/* dlms_link: dispatch to the transport of the network (see dlms_link.h) through
 * one table. A link object starts with its network, whose transport picks the row. */
#include "south/dlms/dlms_link.h"

#include <stdio.h>

#include "codec/dlms/dlms_wrapper.h"
#include "core/log.h"

/* Every transport's link object starts with its network: the tag to dispatch on. */
typedef struct link_head {
    const dlms_network_cfg *net;
} link_head;

static dlms_transport transport_of(const dlms_link *l) {
    return ((const link_head *)(const void *)l)->net->transport;
}

/* Transports: dlms_link_udp.c, dlms_link_tcp.c, dlms_link_hdlc.c. */
dlms_link *dlms_link_hdlc_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                               dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                               char *err, size_t errlen);
int dlms_link_hdlc_send(dlms_link *l, const uint8_t *apdu, size_t len);
size_t dlms_link_hdlc_max_apdu(const dlms_link *l);
void dlms_link_hdlc_close_session(dlms_link *l);
void dlms_link_hdlc_free(dlms_link *l);
dlms_link *dlms_link_udp_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                              dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                              char *err, size_t errlen);
int dlms_link_udp_send(dlms_link *l, const uint8_t *apdu, size_t len);
size_t dlms_link_udp_max_apdu(const dlms_link *l);
void dlms_link_udp_free(dlms_link *l);
dlms_link *dlms_link_tcp_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                              dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                              char *err, size_t errlen);
int dlms_link_tcp_send(dlms_link *l, const uint8_t *apdu, size_t len);
size_t dlms_link_tcp_max_apdu(const dlms_link *l);
void dlms_link_tcp_drop(dlms_link *l);
void dlms_link_tcp_free(dlms_link *l);

/* One table row per transport; a NULL step does nothing on that transport. */
typedef struct link_ops {
    dlms_link *(*open)(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                       dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg, char *err,
                       size_t errlen);
    int (*send)(dlms_link *l, const uint8_t *apdu, size_t len);
    size_t (*max_apdu)(const dlms_link *l);
    void (*close_session)(dlms_link *l);
    void (*drop)(dlms_link *l);
    void (*free)(dlms_link *l);
} link_ops;

static const link_ops transports[] = {
    [DLMS_TR_UDP] = {dlms_link_udp_open, dlms_link_udp_send, dlms_link_udp_max_apdu, NULL, NULL,
                     dlms_link_udp_free},
    [DLMS_TR_TCP] = {dlms_link_tcp_open, dlms_link_tcp_send, dlms_link_tcp_max_apdu, NULL,
                     dlms_link_tcp_drop, dlms_link_tcp_free},
    [DLMS_TR_HDLC] = {dlms_link_hdlc_open, dlms_link_hdlc_send, dlms_link_hdlc_max_apdu,
                      dlms_link_hdlc_close_session, NULL, dlms_link_hdlc_free},
};

static const link_ops *ops_of(const dlms_link *l) {
    return &transports[transport_of(l)];
}

dlms_link *dlms_link_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                          dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg, char *err,
                          size_t errlen) {
    return transports[n->transport].open(n, m, loop, on_apdu, on_error, arg, err, errlen);
}

int dlms_link_send(dlms_link *l, const uint8_t *apdu, size_t len) {
    return ops_of(l)->send(l, apdu, len);
}

size_t dlms_link_max_apdu(const dlms_link *l) {
    return ops_of(l)->max_apdu(l);
}

void dlms_link_close_session(dlms_link *l) {
    if (ops_of(l)->close_session) ops_of(l)->close_session(l);
}

void dlms_link_drop(dlms_link *l) {
    if (ops_of(l)->drop) ops_of(l)->drop(l);
}

void dlms_link_free(dlms_link *l) {
    if (l) ops_of(l)->free(l);
}

size_t dlms_link_wrap(const dlms_network_cfg *n, const dlms_meter_cfg *m, const uint8_t *apdu,
                      size_t len, uint8_t *out, size_t cap) {
    size_t w = wrapper_encode(out, cap, m->client, m->logical, apdu, len);
    if (!w || w > n->max_bytes) {
        log_warn("dlms", "%s: %zu-byte APDU does not fit a %zu-byte packet", m->name, len,
                 n->max_bytes);
        return 0;
    }
    return w;
}
