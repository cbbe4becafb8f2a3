/* expect_mbus_tcp: expectations on the bench's M-Bus masters over TCP
 * (plant: mbus_tcp:, sim/mbus/mbus_tcp_master.h), from the trace:
 *   - mbus_tcp: {master: head, meters: 3}          meters its scan found
 *   - mbus_tcp: {master: head, store: true}        every record of every RSP_UD it
 *       got (decoded by the codec) equals the value the gateway's store held for
 *       the same meter's point when the master got it (same quantity, unit, storage, tariff,
 *       subunit, function); the meter found by its secondary address or serial
 *   - mbus_tcp: {master: tool, segment: bus1, no_interleave: true}
 *       each request of the master reached the segment's wire, and between the
 *       first and the last of them no other frame of the gateway was on the wire;
 *       the readout was on the wire before and resumed after them */
#ifndef SIM_EXPECT_MBUS_TCP_H
#define SIM_EXPECT_MBUS_TCP_H
#include <stdbool.h>

typedef struct ex_mbus_tcp {
    const char *master, *segment;
    long long meters; /* -1: not checked */
    bool store, no_interleave;
} ex_mbus_tcp;
#endif
