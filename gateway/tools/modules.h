/* modules: every subsystem of the gateway, one row each (core/module.h), in
 * the order they start; gwd (gateway/main.c) and --check-config
 * (tools/config_check.c) walk the same table. */
#ifndef GW_MODULES_H
#define GW_MODULES_H
#include <stddef.h>
#include "core/module.h"

#define GW_MODULES_MAX 16 /* room in the arrays that run parallel to the table */

extern const gw_module *const gw_modules[];
extern const size_t gw_n_modules;
#endif
