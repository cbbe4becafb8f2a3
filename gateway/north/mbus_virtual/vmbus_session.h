/* vmbus_session: one master's view of the virtual M-Bus segment, the link
 * layer of EN 13757-2 and the selection of EN 13757-3 as a slave would do
 * them, for every virtual meter at once. Pure: a frame in, the answer out.
 *
 *   SND_NKE to a primary address: E5 from the meter(s) there; to 0xFD: ends
 *     the selection (E5 if one was active); to 0xFF: ends it, no answer.
 *   SND_UD CI 0x52 to 0xFD (8 bytes: id, manufacturer, version, medium, F
 *     nibbles are wildcards): the meters that match are selected, E5 when any
 *     does (several E5s in step look like one on a real bus too).
 *   REQ_UD2 to a primary address, to 0xFD (the selected meters) or to 0xFE
 *     (every meter): the RSP_UD of the one meter addressed. Pages follow the
 *     FCB: with FCV, a toggled FCB asks for the next page, the same FCB for
 *     the same page again; a reset or a new selection starts at page 0.
 *   Several meters addressed by one REQ_UD2 (a wildcard select matching more
 *     than one, a primary address two meters share): a real segment garbles
 *     the answers. The virtual segment answers with a collision a master can
 *     recognise and a stream can resynchronise on: the frame of the first
 *     meter with a wrong checksum. A wildcard search therefore descends where
 *     meters share a prefix and finds every one.
 *   REQ_UD1: E5 (no class 1 data). Other SND_UD to a meter (application reset
 *     CI 0x50 restarts its pages, data CI 0x51 is not applied: the virtual
 *     meters are read-only): E5. Anything else: no answer. */
#ifndef GW_VMBUS_SESSION_H
#define GW_VMBUS_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_link.h"
#include "codec/mbus/mbus_secondary.h"

/* The virtual meters, as the session sees them (indexes stay put). */
typedef struct vmbus_slaves {
    size_t (*count)(void *ctx);
    /* Meter i's addresses: primary (-1: none), secondary (when *has_secondary: a
     * meter without one is never selected); false when it is not offered now. */
    bool (*address)(void *ctx, size_t i, int *primary, mbus_secondary *secondary,
                    bool *has_secondary);
    /* Meter i's RSP_UD page, A field a; its length, 0 when there is no such page. */
    size_t (*rsp_ud)(void *ctx, size_t i, uint8_t a, unsigned page, uint8_t *out, size_t cap,
                     bool *more);
    void *ctx;
} vmbus_slaves;

typedef struct vmbus_session {
    bool selecting;          /* a select is in force */
    mbus_secondary mask;
    bool has_target;         /* paging state of the meter read last */
    size_t target;
    unsigned page;
    bool more, fcb, fresh;
    uint64_t answers, collisions, ignored;
} vmbus_session;

void vmbus_session_init(vmbus_session *s);
/* The answer to one frame (written to out, cap >= MBUS_FRAME_MAX); 0: none. */
size_t vmbus_session_handle(vmbus_session *s, const vmbus_slaves *sl, const mbus_frame *f,
                            uint8_t *out, size_t cap);
#endif
