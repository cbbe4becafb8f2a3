/* pcapng: a small writer of the pcapng capture format (the IETF draft "PCAP Next
 * Generation Dump File Format"), enough for Wireshark and tshark: one section, any
 * number of interfaces (each with its link type, name and description, nanosecond
 * timestamps) and enhanced packet blocks with a direction flag and a comment. */
#ifndef SIM_PCAPNG_H
#define SIM_PCAPNG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Link types used by the bench (the tcpdump.org LINKTYPE_ registry). */
#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_LINKTYPE_USER0 147 /* LINKTYPE_USER0..15 are 147..162 */
#define PCAPNG_LINKTYPE_UPPER_PDU 252 /* LINKTYPE_WIRESHARK_UPPER_PDU: names a dissector */

typedef enum { PCAPNG_DIR_NONE = 0, PCAPNG_DIR_IN = 1, PCAPNG_DIR_OUT = 2 } pcapng_dir;

typedef struct pcapng_writer {
    FILE *f;
    unsigned n_ifs;
    bool failed; /* a write failed: pcapng_close returns -1 */
} pcapng_writer;

/* Create path and write the section header; -1 when it cannot be created. */
int pcapng_open(pcapng_writer *w, const char *path);
/* Add an interface; returns its id (0, 1, ...). */
unsigned pcapng_add_interface(pcapng_writer *w, uint16_t linktype, const char *name, const char *description);
/* One packet on interface ifid at ts_ns (ns since 1970); comment may be NULL or "". */
void pcapng_write_packet(pcapng_writer *w, unsigned ifid, int64_t ts_ns, const uint8_t *data, size_t len,
                         pcapng_dir dir, const char *comment);
/* Close the file; -1 when any write failed. */
int pcapng_close(pcapng_writer *w);
#endif
