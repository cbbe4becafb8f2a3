/* pcapng_read: a pure reader of pcapng capture files (the IETF draft "PCAP Next
 * Generation Dump File Format"): bytes in, packets out, no I/O.
 *
 * It reads what writers put there: section header blocks in either byte order
 * (a file may hold several sections, each with its own interfaces), interface
 * description blocks with their link type, name, description and timestamp
 * resolution (if_tsresol, a power of 10 or of 2; if_tsoffset), enhanced and
 * simple packet blocks (and the obsolete packet block), with the direction of
 * the EPB flags. Blocks that hold no packets (name resolution, interface
 * statistics, decryption secrets, custom) are skipped and counted as such;
 * blocks of unknown types are skipped and counted apart. A block whose length
 * is not a multiple of 4, below 12, beyond the end of the data or different
 * from its trailing copy ends the reading with an error naming its offset
 * (what follows cannot be trusted to be block boundaries); packets before it
 * stay read. Never reads outside the given bytes. */
#ifndef SIM_PCAPNG_READ_H
#define SIM_PCAPNG_READ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPNG_READ_MAX_IFS 64

typedef struct pcapng_rif {
    uint16_t linktype;
    uint32_t snaplen;        /* 0: no limit */
    bool res_pow2;           /* if_tsresol: units are 2^-res s, else 10^-res s */
    uint8_t res;             /* 6 (µs) unless the interface says otherwise */
    int64_t tsoffset_s;      /* if_tsoffset: seconds added to every timestamp */
    char name[64];           /* if_name, "" when absent */
    char description[256];   /* if_description, "" when absent */
    unsigned long packets;   /* packets read on it */
} pcapng_rif;

typedef enum { PCAPNG_PDIR_NONE = 0, PCAPNG_PDIR_IN = 1, PCAPNG_PDIR_OUT = 2 } pcapng_pdir;

typedef struct pcapng_rpacket {
    unsigned ifid;           /* index into the reader's ifs[] (of the current section) */
    const pcapng_rif *iface;
    bool has_ts;             /* false for a simple packet block (it has no time) */
    int64_t ts_ns;           /* ns since 1970 (has_ts) */
    const uint8_t *data;     /* caplen bytes inside the reader's buffer */
    size_t caplen, origlen;
    pcapng_pdir dir;         /* EPB flags bits 0-1; NONE when not given */
    size_t offset;           /* of its block in the file */
    unsigned number;         /* 1, 2, ... over the whole file, as Wireshark numbers frames */
} pcapng_rpacket;

typedef struct pcapng_reader {
    const uint8_t *b;
    size_t n, pos;
    bool big_endian;         /* the current section's byte order (its magic says it) */
    bool in_section;
    pcapng_rif ifs[PCAPNG_READ_MAX_IFS];
    size_t n_ifs;            /* of the current section */
    unsigned sections;
    char userappl[80];       /* shb_userappl of the last section ("hil (metering gateway bench)") */
    unsigned packets;
    /* what was skipped, by kind (the caller reports it) */
    unsigned long other_blocks;      /* known types without packets (NRB, ISB, DSB, custom) */
    unsigned long unknown_blocks;    /* types the format does not define (or reserved) */
    unsigned long unknown_if_packets;/* packets naming an interface the section lacks */
    unsigned long ifs_beyond_max;    /* interfaces beyond PCAPNG_READ_MAX_IFS */
    unsigned long bad_time_packets;  /* timestamps that do not fit in ns since 1970 */
    bool failed;                     /* reading stopped at a broken block */
    size_t error_offset;
    size_t octets_not_read;          /* from error_offset to the end */
    char error[200];
} pcapng_reader;

/* Whether b starts like a pcapng file (the section header block type). */
bool pcapng_read_is_pcapng(const uint8_t *b, size_t n);
void pcapng_read_init(pcapng_reader *r, const uint8_t *b, size_t n);
/* The next packet: true with *p filled; false at the end of the data or at a
 * broken block (r->failed, r->error, r->error_offset). */
bool pcapng_read_next(pcapng_reader *r, pcapng_rpacket *p);
#endif
