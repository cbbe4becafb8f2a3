/* dlms_link: dispatch to the transport of the network (see dlms_link.h).
 * A link object starts with its transport tag so one free/send works for all. */
#include "dlms_link.h"

#include <stdio.h>

/* Transports (dlms_link_udp.c; HDLC and TCP to come). */
dlms_link *dlms_link_udp_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                              dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg,
                              char *err, size_t errlen);
int dlms_link_udp_send(dlms_link *l, const uint8_t *apdu, size_t len);
size_t dlms_link_udp_max_apdu(const dlms_link *l);
void dlms_link_udp_free(dlms_link *l);

dlms_link *dlms_link_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                          dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg, char *err,
                          size_t errlen) {
    if (n->transport != DLMS_TR_UDP) {
        snprintf(err, errlen, "dlms %s: transport %s is not implemented yet", n->name,
                 n->transport == DLMS_TR_TCP ? "tcp" : "hdlc");
        return NULL;
    }
    return dlms_link_udp_open(n, m, loop, on_apdu, on_error, arg, err, errlen);
}

int dlms_link_send(dlms_link *l, const uint8_t *apdu, size_t len) {
    return dlms_link_udp_send(l, apdu, len);
}

size_t dlms_link_max_apdu(const dlms_link *l) {
    return dlms_link_udp_max_apdu(l);
}

void dlms_link_close_session(dlms_link *l) {
    (void)l;
}

void dlms_link_free(dlms_link *l) {
    dlms_link_udp_free(l);
}
