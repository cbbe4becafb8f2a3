/* dlms_link: dispatch to the transport of the network (see dlms_link.h).
 * A link object starts with its transport tag so one free/send works for all. */
#include "dlms_link.h"

#include <stdio.h>

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

dlms_link *dlms_link_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                          dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg, char *err,
                          size_t errlen) {
    if (n->transport == DLMS_TR_HDLC) return dlms_link_hdlc_open(n, m, loop, on_apdu, on_error, arg, err, errlen);
    if (n->transport == DLMS_TR_TCP) return dlms_link_tcp_open(n, m, loop, on_apdu, on_error, arg, err, errlen);
    return dlms_link_udp_open(n, m, loop, on_apdu, on_error, arg, err, errlen);
}

int dlms_link_send(dlms_link *l, const uint8_t *apdu, size_t len) {
    if (transport_of(l) == DLMS_TR_HDLC) return dlms_link_hdlc_send(l, apdu, len);
    if (transport_of(l) == DLMS_TR_TCP) return dlms_link_tcp_send(l, apdu, len);
    return dlms_link_udp_send(l, apdu, len);
}

size_t dlms_link_max_apdu(const dlms_link *l) {
    if (transport_of(l) == DLMS_TR_HDLC) return dlms_link_hdlc_max_apdu(l);
    if (transport_of(l) == DLMS_TR_TCP) return dlms_link_tcp_max_apdu(l);
    return dlms_link_udp_max_apdu(l);
}

void dlms_link_close_session(dlms_link *l) {
    if (transport_of(l) == DLMS_TR_HDLC) dlms_link_hdlc_close_session(l);
}

void dlms_link_drop(dlms_link *l) {
    if (transport_of(l) == DLMS_TR_TCP) dlms_link_tcp_drop(l);
}

void dlms_link_free(dlms_link *l) {
    if (!l) return;
    if (transport_of(l) == DLMS_TR_HDLC) dlms_link_hdlc_free(l);
    else if (transport_of(l) == DLMS_TR_TCP) dlms_link_tcp_free(l);
    else dlms_link_udp_free(l);
}
