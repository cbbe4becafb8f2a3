/* dlms_server: the gateway's DLMS/COSEM server toward a head-end over the
 * IEC 62056-47 wrapper on TCP (port 4059). One session per connection
 * (dlms_server_session.h), the objects of dlms_server_objects.h. */
#ifndef DLMS_SERVER_H
#define DLMS_SERVER_H
#include <stddef.h>

#include "core/datahub.h"
#include "core/loop.h"
#include "core/state.h"
#include "north/dlms_server/dlms_server_config.h"
#include "store/store.h"

typedef struct dlms_server dlms_server;

dlms_server *dlms_server_start(const dlms_server_config *cfg, gw_loop *loop, datahub *hub, gw_store *store,
                               const gw_state *state, char *err, size_t cap);
void dlms_server_stop(dlms_server *s);
#endif
