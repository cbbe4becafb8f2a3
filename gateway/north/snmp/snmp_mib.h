/* snmp_mib: GWD-STATUS-MIB's objects as a sorted list of (OID, value) built
 * from the status (snmp_status.h) for each request, and the GET / GETNEXT over
 * it. Kept apart from net-snmp's agent so the layout is tested without it. */
#ifndef GWD_SNMP_MIB_H
#define GWD_SNMP_MIB_H
#include <stddef.h>
#include <stdint.h>

#include "north/snmp/snmp_status.h"

/* 1.3.6.1.4.1.8072.9999.9999.4711: net-snmp's playpen (netSnmpPlaypen), for a
 * project without an enterprise number of its own (docs/snmp.md). */
#define GWD_MIB_BASE 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4711
#define GWD_MIB_BASE_LEN 10
#define GWD_OID_MAX 16

typedef enum { MIBV_INTEGER, MIBV_GAUGE, MIBV_COUNTER, MIBV_UNSIGNED, MIBV_STRING } snmp_mib_type;

typedef struct snmp_mib_var {
    uint32_t oid[GWD_OID_MAX]; /* the whole OID */
    size_t len;
    snmp_mib_type type;
    int64_t number;
    const char *text;          /* MIBV_STRING: points into the status */
} snmp_mib_var;

/* Every object instance, in OID order (allocated; free()). */
snmp_mib_var *snmp_mib_build(const snmp_status *s, size_t *n);
/* The instance equal to oid (GET) or the first after it (GETNEXT); NULL when none. */
const snmp_mib_var *snmp_mib_find(const snmp_mib_var *vars, size_t n, const uint32_t *oid, size_t len, bool next);
#endif
