/* libFuzzer target for the pure pcapng reader (sim/import/pcapng_read.h): any
 * bytes are read block by block to the end or to a broken block. Every packet
 * must lie inside the input and name an interface of its section, the counts
 * must add up, and a failure must name an offset inside the input — without a
 * crash, a read outside the bytes or a leak. Seeds: fixtures/fuzz/pcapng/
 * (a dumpcap file and a bench run's file). */
#include <stdint.h>
#include <stdlib.h>
#include "sim/import/pcapng_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pcapng_reader r;
    pcapng_rpacket p;
    pcapng_read_init(&r, data, size);
    unsigned n = 0;
    while (pcapng_read_next(&r, &p)) {
        if (p.data < data || p.caplen > size || p.data + p.caplen > data + size) abort();
        if (p.ifid >= r.n_ifs || p.iface != &r.ifs[p.ifid]) abort();
        if (p.number != ++n || p.offset >= size) abort();
    }
    if (r.packets != n) abort();
    if (r.failed && (r.error_offset >= size + 1 || r.octets_not_read != size - r.error_offset || !r.error[0])) abort();
    if (!r.failed && r.pos != size) abort();
    return 0;
}
