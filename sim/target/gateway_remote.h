/* gateway_remote: the gateway as a service on a device reached over SSH, as a target
 * map says (gateway_host.h; target_mode.h tells the run). */
#ifndef SIM_GATEWAY_REMOTE_H
#define SIM_GATEWAY_REMOTE_H
#include "sim/scenario/gateway_host.h"

extern const gateway_host gateway_remote;
#endif
