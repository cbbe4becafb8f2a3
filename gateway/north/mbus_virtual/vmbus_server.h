/* vmbus_server: the Virtual M-Bus over TCP (CMe3100 "Virtual M-Bus", docs/mbus.md):
 * a TCP port where each connection is a master on a virtual M-Bus segment
 * whose meters are the ones the gateway reads, answering from their latest
 * values in the datahub, never from the bus. Frames are taken out of the
 * stream with the codec (codec/mbus/mbus_stream.h); each connection has its
 * own selection and paging state (vmbus_session.h). A connection silent for
 * idle_timeout is closed; beyond max_connections the oldest makes room. */
#ifndef GW_VMBUS_SERVER_H
#define GW_VMBUS_SERVER_H
#include <stddef.h>
#include "core/datahub.h"
#include "core/loop.h"
#include "north/mbus_virtual/vmbus_config.h"

typedef struct vmbus_server vmbus_server;

vmbus_server *vmbus_server_start(const vmbus_config *cfg, gw_loop *loop, datahub *hub, char *err,
                                 size_t cap);
void vmbus_server_stop(vmbus_server *srv); /* NULL is fine */
#endif
