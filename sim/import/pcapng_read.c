/* pcapng_read: the blocks of a pcapng file read from memory (pcapng_read.h).
 * Every field is read through get16/get32 with the section's byte order, and
 * every length is checked against the block before it is used. No 128-bit
 * arithmetic: the bench is also built for 32-bit ARM. */
#include "sim/import/pcapng_read.h"
#include <stdio.h>
#include <string.h>

enum { BT_SHB = 0x0A0D0D0A, BT_IDB = 1, BT_OPB = 2, BT_SPB = 3, BT_NRB = 4, BT_ISB = 5, BT_EPB = 6,
       BT_SJE = 9, BT_DSB = 10, BT_CB = 0x00000BAD, BT_CB_NOCOPY = 0x40000BAD };
enum { OPT_END = 0, SHB_USERAPPL = 4, IF_NAME = 2, IF_DESCRIPTION = 3, IF_TSRESOL = 9, IF_TSOFFSET = 14, EPB_FLAGS = 2 };
#define BOM 0x1A2B3C4Du

static uint16_t get16(const pcapng_reader *r, const uint8_t *p) {
    return r->big_endian ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t get32(const pcapng_reader *r, const uint8_t *p) {
    uint32_t be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    return r->big_endian ? be : le;
}

/* The byte-order magic 0x1A2B3C4D as the section's writer stored it. */
static bool file_is_big_endian(const uint8_t *bom) {
    return bom[0] == 0x1A && bom[1] == 0x2B && bom[2] == 0x3C && bom[3] == 0x4D;
}

static bool file_is_little_endian(const uint8_t *bom) {
    return bom[0] == 0x4D && bom[1] == 0x3C && bom[2] == 0x2B && bom[3] == 0x1A;
}

bool pcapng_read_is_pcapng(const uint8_t *b, size_t n) {
    return n >= 4 && b[0] == 0x0A && b[1] == 0x0D && b[2] == 0x0D && b[3] == 0x0A;
}

void pcapng_read_init(pcapng_reader *r, const uint8_t *b, size_t n) {
    memset(r, 0, sizeof *r);
    r->b = b;
    r->n = n;
}

static bool fail(pcapng_reader *r, size_t at, const char *what, uint32_t value) {
    r->failed = true;
    r->error_offset = at;
    r->octets_not_read = r->n - at;
    snprintf(r->error, sizeof r->error, "%s (%lu) at offset %zu", what, (unsigned long)value, at);
    return false;
}

static void copy_text(char *dst, size_t cap, const uint8_t *v, size_t len) {
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0'; /* a value with a NUL inside ends there, as a C string */
}

/* Call take(code, value, len) for each option in [p, end); stops at opt_endofopt
 * or at an option that would run past the end (a short option area is tolerated:
 * some writers omit opt_endofopt). */
typedef void (*option_fn)(pcapng_reader *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len);

static void each_option(pcapng_reader *r, const uint8_t *p, const uint8_t *end, option_fn take, void *ctx) {
    while (end - p >= 4) {
        uint16_t code = get16(r, p), len = get16(r, p + 2);
        if (code == OPT_END) return;
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if ((size_t)(end - p - 4) < padded) return;
        take(r, ctx, code, p + 4, len);
        p += 4 + padded;
    }
}

static void idb_option(pcapng_reader *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len) {
    pcapng_rif *f = ctx;
    if (code == IF_NAME) copy_text(f->name, sizeof f->name, v, len);
    else if (code == IF_DESCRIPTION) copy_text(f->description, sizeof f->description, v, len);
    else if (code == IF_TSRESOL && len >= 1) f->res_pow2 = v[0] & 0x80, f->res = v[0] & 0x7F;
    else if (code == IF_TSOFFSET && len >= 8) {
        uint64_t lo = get32(r, v), hi = get32(r, v + 4);
        if (r->big_endian) { uint64_t t = lo; lo = hi; hi = t; } /* big-endian: high half first */
        f->tsoffset_s = (int64_t)(hi << 32 | lo);
    }
}

static void flags_option(pcapng_reader *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len) {
    if (code == EPB_FLAGS && len >= 4) *(pcapng_pdir *)ctx = (pcapng_pdir)(get32(r, v) & 3);
}

static void shb_option(pcapng_reader *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len) {
    (void)ctx;
    if (code == SHB_USERAPPL) copy_text(r->userappl, sizeof r->userappl, v, len);
}

static void read_idb(pcapng_reader *r, const uint8_t *body, size_t len) {
    if (len < 8) return; /* checked by the caller's minimum */
    if (r->n_ifs == PCAPNG_READ_MAX_IFS) {
        r->ifs_beyond_max++;
        return;
    }
    pcapng_rif *f = &r->ifs[r->n_ifs++];
    memset(f, 0, sizeof *f);
    f->linktype = get16(r, body);
    f->snaplen = get32(r, body + 4);
    f->res = 6;
    each_option(r, body + 8, body + len, idb_option, f);
}

static const uint64_t POW10[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
                                   100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
                                   1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
                                   1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
                                   1000000000000000000ULL, 10000000000000000000ULL};

/* Units of 10^-res or 2^-res s to ns; false when the result does not fit. */
static bool to_ns(const pcapng_rif *f, uint64_t ts, uint64_t *ns) {
    if (!f->res_pow2) {
        if (f->res <= 9) {
            uint64_t mul = POW10[9 - f->res];
            if (ts > UINT64_MAX / mul) return false;
            *ns = ts * mul;
        } else *ns = f->res - 9 < 20 ? ts / POW10[f->res - 9] : 0;
        return true;
    }
    unsigned sh = f->res;
    uint64_t sec = sh >= 64 ? 0 : ts >> sh, frac = sh >= 64 ? ts : ts & ((1ULL << sh) - 1);
    while (sh > 34) frac >>= 1, sh--; /* frac * 1e9 stays in 64 bits; below a ns is lost */
    if (sec > UINT64_MAX / 1000000000ULL) return false;
    *ns = sec * 1000000000ULL + ((frac * 1000000000ULL) >> sh);
    return true;
}

static void set_time(pcapng_reader *r, const pcapng_rif *f, uint64_t ts, pcapng_rpacket *p) {
    uint64_t ns;
    int64_t off = f->tsoffset_s;
    bool ok = to_ns(f, ts, &ns) && ns <= (uint64_t)INT64_MAX;
    if (ok && off > 0) ok = off <= (INT64_MAX - (int64_t)ns) / 1000000000LL;
    if (ok && off < 0) ok = off >= INT64_MIN / 1000000000LL;
    p->has_ts = ok;
    if (ok) p->ts_ns = (int64_t)ns + off * 1000000000LL;
    else r->bad_time_packets++;
}

/* EPB (ifid 32, ts 64, caplen, origlen), OPB (ifid 16, drops 16, ts 64, caplen,
 * origlen), SPB (origlen; interface 0, caplen from the block): a packet, or
 * false when the block names no interface of the section (counted). */
static bool read_packet(pcapng_reader *r, uint32_t type, const uint8_t *body, size_t len, size_t at,
                        pcapng_rpacket *p) {
    memset(p, 0, sizeof *p);
    p->offset = at;
    size_t head = type == BT_SPB ? 4 : 20;
    uint32_t ifid = type == BT_EPB ? get32(r, body) : type == BT_OPB ? get16(r, body) : 0;
    if (ifid >= r->n_ifs) {
        r->unknown_if_packets++;
        return false;
    }
    const pcapng_rif *f = &r->ifs[ifid];
    if (type == BT_SPB) {
        p->origlen = get32(r, body);
        p->caplen = p->origlen < len - head ? p->origlen : len - head;
        if (f->snaplen && p->caplen > f->snaplen) p->caplen = f->snaplen;
    } else {
        p->caplen = get32(r, body + 12);
        p->origlen = get32(r, body + 16);
        if (p->caplen > len - head) return fail(r, at, "captured length beyond its block", (uint32_t)p->caplen);
        uint64_t ts = (uint64_t)get32(r, body + 4) << 32 | get32(r, body + 8);
        set_time(r, f, ts, p);
        size_t opts = head + ((p->caplen + 3) & ~(size_t)3);
        if (opts < len) each_option(r, body + opts, body + len, flags_option, &p->dir);
    }
    p->ifid = ifid;
    p->iface = f;
    p->data = body + head;
    p->number = ++r->packets;
    r->ifs[ifid].packets++;
    return true;
}

/* A section header: the byte order from its magic, a new set of interfaces. */
static bool read_shb(pcapng_reader *r, size_t at) {
    if (r->n - at < 12) return fail(r, at, "section header cut short: octets left", (uint32_t)(r->n - at));
    const uint8_t *bom = r->b + at + 8;
    if (file_is_big_endian(bom)) r->big_endian = true;
    else if (file_is_little_endian(bom)) r->big_endian = false;
    else return fail(r, at, "section header without a byte-order magic: found", get32(r, bom));
    r->in_section = true;
    r->sections++;
    r->n_ifs = 0;
    return true;
}

/* The minimum body of each block type that has a fixed part. */
static size_t min_body(uint32_t type) {
    switch (type) {
    case BT_SHB: return 16;
    case BT_IDB: return 8;
    case BT_EPB: case BT_OPB: return 20;
    case BT_SPB: return 4;
    default: return 0;
    }
}

static bool known_without_packets(uint32_t type) {
    return type == BT_NRB || type == BT_ISB || type == BT_SJE || type == BT_DSB || type == BT_CB ||
           type == BT_CB_NOCOPY;
}

bool pcapng_read_next(pcapng_reader *r, pcapng_rpacket *p) {
    while (!r->failed && r->pos < r->n) {
        size_t at = r->pos, left = r->n - at;
        if (left < 12) return fail(r, at, "octets after the last block, fewer than a block", (uint32_t)left);
        uint32_t type = get32(r, r->b + at);
        if (type == BT_SHB && !read_shb(r, at)) return false;
        if (!r->in_section) return fail(r, at, "no section header block first: block type", type);
        uint32_t total = get32(r, r->b + at + 4);
        if (total < 12 || total % 4 || total > left) return fail(r, at, "bad block length", total);
        if (get32(r, r->b + at + total - 4) != total)
            return fail(r, at, "block length differs from its trailing copy", get32(r, r->b + at + total - 4));
        const uint8_t *body = r->b + at + 8;
        size_t len = total - 12;
        if (len < min_body(type)) return fail(r, at, "block too short for its type", type);
        r->pos = at + total;
        if (type == BT_SHB) {
            r->userappl[0] = '\0';
            each_option(r, body + 16, body + len, shb_option, NULL);
            continue;
        }
        if (type == BT_IDB) read_idb(r, body, len);
        else if (type == BT_EPB || type == BT_OPB || type == BT_SPB) {
            if (read_packet(r, type, body, len, at, p)) return true;
            if (r->failed) {
                r->pos = at;
                return false;
            }
        } else if (known_without_packets(type)) r->other_blocks++;
        else r->unknown_blocks++;
    }
    return false;
}
