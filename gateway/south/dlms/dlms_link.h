/* dlms_link: how APDUs reach one meter. UDP and TCP carry them in the
 * IEC 62056-47 wrapper; HDLC (serial, multi-drop) in I-frames after SNRM/UA,
 * segmented to the negotiated information field length.
 *
 * The session above sends whole APDUs and gets whole APDUs back; the link
 * counts every byte or datagram through iochan (virtual time). Retries and
 * timeouts belong to the session. */
#ifndef DLMS_LINK_H
#define DLMS_LINK_H
#include <stddef.h>
#include <stdint.h>

#include "south/dlms/dlms_config.h"
#include "core/loop.h"

typedef struct dlms_link dlms_link;
typedef void (*dlms_apdu_cb)(void *arg, const uint8_t *apdu, size_t len);
typedef void (*dlms_link_error_cb)(void *arg, const char *why);

/* Open the link of meter m on network n. NULL with err when the socket or
 * port cannot be opened at all. */
dlms_link *dlms_link_open(const dlms_network_cfg *n, const dlms_meter_cfg *m, gw_loop *loop,
                          dlms_apdu_cb on_apdu, dlms_link_error_cb on_error, void *arg, char *err,
                          size_t errlen);
/* Send one APDU (a retry sends the same APDU again). 0, or -1 when it cannot
 * be sent (too large, socket error): the session's timeout handles it. */
int dlms_link_send(dlms_link *l, const uint8_t *apdu, size_t len);
/* Largest APDU that fits the link (max_bytes minus the wrapper header). */
size_t dlms_link_max_apdu(const dlms_link *l);
/* The session ended (HDLC: DISC; the wrapper: nothing). */
void dlms_link_close_session(dlms_link *l);
/* The session gave up on the meter (no answer after the retries): TCP closes
 * its connection, which may be dead without a FIN (the meter lost power), so
 * the next job starts on a fresh one; the other transports: nothing. */
void dlms_link_drop(dlms_link *l);
void dlms_link_free(dlms_link *l);

/* For the wrapper transports (UDP, TCP): apdu of meter m in the IEC 62056-47
 * wrapper into out. Its length, or 0 (logged) when it does not fit cap or the
 * network's max_bytes. */
size_t dlms_link_wrap(const dlms_network_cfg *n, const dlms_meter_cfg *m, const uint8_t *apdu,
                      size_t len, uint8_t *out, size_t cap);
#endif
