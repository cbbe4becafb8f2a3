/* import_modbus: the Modbus TCP sessions of a capture (import.h) as bench
 * masters and expectations. Each session's byte streams (already put back
 * together from the TCP segments) are cut into ADUs by their MBAP length, so
 * a request split over segments or several in one segment come out whole;
 * answers are matched to requests by transaction id. Every request becomes a
 * read step at the instant its last byte was captured (the bench master sends
 * one at a time, so pipelined requests follow each other at that instant);
 * every answer an expectation on what the master gets: the recorded
 * registers or bits, the recorded exception code, any answer for other
 * functions, a timeout where the recorded server stayed silent. */
#include <stdlib.h>
#include <string.h>
#include "codec/modbus/modbus_adu.h"
#include "sim/import/import.h"
#include "sim/import/import_base.h"

#define NS_PER_SEC 1000000000LL
#define MASTER_TIMEOUT_NS NS_PER_SEC /* the bench master's wait for an answer */
#define ITEMS_PER_LINE 125           /* what one modbus expectation can hold */

typedef struct adu {
    int64_t t;          /* when its last byte was captured */
    uint16_t tid;
    uint8_t unit;
    const uint8_t *pdu;
    size_t pdu_len;
    bool used;          /* an answer already matched to a request */
} adu;

/* An MBAP header as Modbus/TCP defines it: protocol id 0, a length of 2..254
 * (unit id and PDU); the ADU's length, 0 when it cannot start one. */
static size_t mbap_length(const uint8_t *b, size_t n) {
    if (n < 8 || b[2] != 0 || b[3] != 0) return 0;
    size_t len = (size_t)(b[4] << 8 | b[5]);
    return len >= 2 && len <= 254 ? len + 6 : 0;
}

/* Bytes that cannot start an ADU: skipped to the next header whose ADU fits
 * the stream (resynchronised), counted and noted; a cut-off tail counted. */
static size_t skip_garbage(capture *c, int conn, int dir, const import_stream *s, size_t pos) {
    size_t q = pos;
    if (mbap_length(s->b + q, s->n - q) > s->n - q) { /* an ADU the end of the stream cut off */
        capture_count(c, dir ? "octets of an ADU cut off by the end of the server stream"
                             : "octets of an ADU cut off by the end of the client stream", s->n - q);
        return s->n;
    }
    for (q++; q < s->n; q++) {
        size_t len = mbap_length(s->b + q, s->n - q);
        if (len && len <= s->n - q) break;
    }
    capture_count(c, dir ? "garbage octets in the server stream (not Modbus/TCP; resynchronised)"
                         : "garbage octets in the client stream (not Modbus/TCP; resynchronised)", q - pos);
    capture_note(c, "session %d %s stream: %zu octets of garbage at offset %zu, resynchronised at offset %zu",
                 conn + 1, dir ? "server" : "client", q - pos, pos, q);
    return q;
}

/* The complete ADUs of one stream; garbage skipped (skip_garbage). */
static size_t cut_adus(capture *c, int conn, int dir, const import_stream *s, adu **out) {
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t pos = 0; pos < s->n;) {
        size_t need = mbap_length(s->b + pos, s->n - pos);
        if (need == 0 || need > s->n - pos) {
            pos = skip_garbage(c, conn, dir, s, pos);
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            adu *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) break;
            *out = grown;
        }
        const uint8_t *b = s->b + pos;
        (*out)[n++] = (adu){.t = s->t[pos + need - 1], .tid = (uint16_t)(b[0] << 8 | b[1]),
                            .unit = b[6], .pdu = b + 7, .pdu_len = need - 7};
        pos += need;
    }
    return n;
}

static adu *answer_to(const adu *req, adu *answers, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!answers[i].used && answers[i].tid == req->tid && answers[i].t >= req->t) {
            answers[i].used = true;
            return &answers[i];
        }
    return NULL;
}

/* Function codes 1..127: 0 is not one, 128 and above are exception answers. */
static bool sendable_function(const adu *r) { return r->pdu[0] >= 1 && r->pdu[0] <= 127; }

static bool is_read(const adu *r) { return r->pdu_len == 5 && r->pdu[0] >= 1 && r->pdu[0] <= 4; }

static unsigned read_address(const adu *r) { return (unsigned)(r->pdu[1] << 8 | r->pdu[2]); }
static unsigned read_count(const adu *r) { return (unsigned)(r->pdu[3] << 8 | r->pdu[4]); }

static void write_step(FILE *m, const adu *r, int64_t lead) {
    static const char *const bank[] = {"", "coils", "discrete", "holding", "input"};
    char at[40], hex[800];
    import_seconds(lead + r->t, at, sizeof at);
    if (is_read(r)) {
        fprintf(m, "          - {at: %s, unit: %u, bank: %s, address: %u, count: %u}\n", at, r->unit,
                bank[r->pdu[0]], read_address(r), read_count(r));
    } else if (sendable_function(r)) {
        import_hex_text(r->pdu + 1, r->pdu_len - 1, hex, sizeof hex);
        fprintf(m, "          - {at: %s, unit: %u, function: %u, data: \"%s\"}\n", at, r->unit, r->pdu[0], hex);
    } else {
        fprintf(m, "          # at %s: function code %u cannot be sent by a bench master\n", at, r->pdu[0]);
    }
}

/* The items of a read answer at the request's address, in lines of at most 125. */
static size_t write_items(FILE *e, const char *head, const char *tail, const adu *r, const adu *a) {
    bool bits = r->pdu[0] <= 2;
    unsigned have = a->pdu_len >= 2 ? a->pdu[1] : 0, count = read_count(r);
    if (a->pdu_len < 2 + (size_t)have) have = (unsigned)(a->pdu_len - 2);
    unsigned items = bits ? have * 8 : have / 2;
    if (items > count) items = count;
    for (unsigned first = 0; first < items; first += ITEMS_PER_LINE) {
        fprintf(e, "%s, address: %u, registers: \"", head, read_address(r) + first);
        for (unsigned i = first; i < items && i < first + ITEMS_PER_LINE; i++)
            fprintf(e, "%s0x%04X", i > first ? " " : "",
                    bits ? mb_rsp_bit(a->pdu, i) : mb_rsp_register(a->pdu, i));
        fprintf(e, "\"%s\n", tail);
    }
    if (items == 0) fprintf(e, "%s, address: %u%s\n", head, read_address(r), tail); /* an answer */
    return 1;
}

/* The start and end of an expectation on the answer to request i: from its
 * sending to the master's timeout, or to the next request when an answer
 * comes (that one's answer is not this one's). */
static void answer_window(int conn, const adu *reqs, size_t n, size_t i, bool answered, int64_t lead, char *head,
                          size_t hcap, char *tail, size_t tcap, int64_t *before_out) {
    const adu *r = &reqs[i];
    int64_t after = lead + r->t, before = after + MASTER_TIMEOUT_NS;
    bool pipelined = (i > 0 && reqs[i - 1].t == r->t) || (i + 1 < n && reqs[i + 1].t == r->t);
    if (answered && i + 1 < n && reqs[i + 1].t > r->t && lead + reqs[i + 1].t - 1 < before)
        before = lead + reqs[i + 1].t - 1;
    char t1[40], t2[40];
    import_seconds(after, t1, sizeof t1);
    import_seconds(before, t2, sizeof t2);
    snprintf(head, hcap, "  - modbus: {master: m%d, unit: %u, function: %u", conn + 1, r->unit, r->pdu[0]);
    snprintf(tail, tcap, ", after: %s, before: %s%s}", t1, t2, pipelined ? ", min: 1" : "");
    *before_out = before;
}

/* One expectation (or one per 125 items) on the answer to request i. */
static size_t write_expectation(FILE *e, int conn, const adu *reqs, size_t n, size_t i, const adu *a,
                                int64_t lead, int64_t *last) {
    const adu *r = &reqs[i];
    char head[160], tail[120];
    int64_t before;
    answer_window(conn, reqs, n, i, a != NULL, lead, head, sizeof head, tail, sizeof tail, &before);
    if (!a) {
        if (before - lead > *last) *last = before - lead;
        if (is_read(r)) fprintf(e, "%s, address: %u, timeout: true%s\n", head, read_address(r), tail);
        else fprintf(e, "%s, timeout: true%s\n", head, tail);
        return 1;
    }
    if (a->pdu_len >= 2 && (a->pdu[0] & 0x80)) {
        if (is_read(r)) fprintf(e, "%s, address: %u, exception: %u%s\n", head, read_address(r), a->pdu[1], tail);
        else fprintf(e, "%s, exception: %u%s\n", head, a->pdu[1], tail);
        return 1;
    }
    if (is_read(r)) return write_items(e, head, tail, r, a);
    fprintf(e, "%s%s\n", head, tail); /* another function: an answer, not an exception */
    return 1;
}

/* --protocol-only: what the Modbus application protocol demands of the
 * base's server for request i, whatever the recorded server answered: a read
 * of a count the protocol forbids is exception 03, of registers the base does
 * not map exception 02, one it maps an answer; a unit the base's TCP server
 * does not serve exception 0B; a function the base does not implement
 * exception 01. Writes and device identification (an answer or an exception
 * both conform) are counted, not checked. */
static size_t write_check(FILE *e, capture *c, int conn, const adu *reqs, size_t n, size_t i,
                          const import_base_modbus *b, int64_t lead, int64_t *last) {
    const adu *r = &reqs[i];
    unsigned fc = r->pdu[0];
    if (fc == 5 || fc == 6 || fc == 15 || fc == 16 || fc == 43 || !b->known) {
        capture_count(c, !b->known ? "client requests not checked (--protocol-only: the base has no mapping "
                                     "groups to check them against)"
                                   : "client requests not checked (--protocol-only: writes and device "
                                     "identification may conform with an answer or an exception)", 1);
        return 0;
    }
    char head[160], tail[120];
    int64_t before;
    answer_window(conn, reqs, n, i, true, lead, head, sizeof head, tail, sizeof tail, &before);
    if (before - lead > *last) *last = before - lead;
    unsigned exception = 0;
    if (b->unit_id >= 0 && r->unit != (unsigned)b->unit_id) exception = 0x0B;
    else if (!is_read(r) && fc >= 1 && fc <= 4) exception = 3; /* a read of another length */
    else if (!is_read(r)) exception = 1;
    else if (read_count(r) == 0 || read_count(r) > (fc <= 2 ? 2000u : 125u)) exception = 3;
    else if (!import_base_modbus_covers(b, fc, read_address(r), read_count(r))) exception = 2;
    if (is_read(r) && exception) fprintf(e, "%s, address: %u, exception: %u%s\n", head, read_address(r), exception, tail);
    else if (exception) fprintf(e, "%s, exception: %u%s\n", head, exception, tail);
    else fprintf(e, "%s, address: %u%s\n", head, read_address(r), tail); /* an answer */
    return 1;
}

/* Whether the capture's server is not the base's: it answered reads (not
 * with an exception) of units or registers the base does not serve. */
static bool other_server(const import_base_modbus *b, adu *const *reqs, const size_t *n, adu *const *answers,
                         const size_t *n_answers, unsigned conns, unsigned *unit, unsigned *address) {
    for (unsigned k = 0; k < conns; k++)
        for (size_t i = 0; i < n[k]; i++) {
            const adu *r = &reqs[k][i];
            if (!is_read(r)) continue;
            for (size_t j = 0; j < n_answers[k]; j++) {
                const adu *a = &answers[k][j];
                if (a->tid != r->tid || a->t < r->t || a->pdu_len < 1 || (a->pdu[0] & 0x80)) continue;
                bool unit_ok = b->unit_id < 0 || r->unit == (unsigned)b->unit_id;
                if (!unit_ok || !import_base_modbus_covers(b, r->pdu[0], read_address(r), read_count(r))) {
                    *unit = r->unit, *address = read_address(r);
                    return true;
                }
                break;
            }
        }
    return false;
}

size_t import_modbus_sessions(FILE *masters, FILE *expect, capture *c, const import_stream *s,
                              int64_t lead, int64_t *last, size_t *timeouts, import_opts *o) {
    size_t expected = 0, written = 0, conns = c->n_conns ? c->n_conns : 1;
    unsigned long all_reqs = 0, all_answers = 0, matched = 0;
    adu **reqs = calloc(conns, sizeof *reqs), **answers = calloc(conns, sizeof *answers);
    size_t *nr = calloc(conns, sizeof *nr), *na = calloc(conns, sizeof *na);
    static import_base_modbus base; /* large; one import per process */
    import_base_read_modbus(o->base_path, &base);
    if (!reqs || !answers || !nr || !na) {
        free(reqs), free(answers), free(nr), free(na);
        return 0;
    }
    for (unsigned k = 0; k < c->n_conns; k++) {
        nr[k] = cut_adus(c, (int)k, CAP_TO_SLAVE, &s[2 * k + CAP_TO_SLAVE], &reqs[k]);
        na[k] = cut_adus(c, (int)k, CAP_FROM_SLAVE, &s[2 * k + CAP_FROM_SLAVE], &answers[k]);
    }
    unsigned unit = 0, address = 0;
    if (!o->protocol_only && !o->values && base.known &&
        other_server(&base, reqs, nr, answers, na, c->n_conns, &unit, &address)) {
        o->protocol_only = true;
        capture_note(c, "the capture's server is not the --base's: it answered a read of unit %u, address %u, which "
                        "the base does not serve: imported --protocol-only (the recorded client's requests, checked "
                        "by protocol, not by value)", unit, address);
    }
    for (unsigned k = 0; k < c->n_conns; k++) {
        size_t n = nr[k], n_answers = na[k];
        all_reqs += n;
        all_answers += n_answers;
        size_t sendable = 0;
        for (size_t i = 0; i < n; i++) sendable += sendable_function(&reqs[k][i]);
        if (sendable > 0) {
            fprintf(masters, "      - name: m%u\n        tcp: true\n        timeout: 1s\n        reads:\n", k + 1);
            written++;
        } else if (n > 0) {
            fprintf(masters, "      # session %u: no request a bench master can send\n", k + 1);
        }
        for (size_t i = 0; i < n && sendable > 0; i++) {
            write_step(masters, &reqs[k][i], lead);
            if (!sendable_function(&reqs[k][i])) {
                capture_count(c, "client requests with a function code a bench master cannot send (0, 128..255)", 1);
                continue;
            }
            adu *a = answer_to(&reqs[k][i], answers[k], n_answers);
            matched += a != NULL;
            if (o->protocol_only) {
                if (a) capture_count(c, "server answers not compared (--protocol-only)", 1);
                expected += write_check(expect, c, (int)k, reqs[k], n, i, &base, lead, last);
                continue;
            }
            if (!a) (*timeouts)++;
            expected += write_expectation(expect, (int)k, reqs[k], n, i, a, lead, last);
        }
        if (sendable == 0) capture_count(c, "client requests of sessions without a request a bench master can send", n);
        if (n == 0 && n_answers > 0)
            capture_note(c, "session %u: %zu answers and no request (a server-only capture): a Modbus answer "
                            "does not say which registers it holds, so they cannot be expected", k + 1, n_answers);
        for (size_t i = 0; i < n_answers; i++)
            if (!answers[k][i].used)
                capture_count(c, "server answers to no request of the capture (their transaction id unmatched)", 1);
        free(reqs[k]);
        free(answers[k]);
    }
    free(reqs), free(answers), free(nr), free(na);
    if (written == 0) fputs("      - {name: m1, tcp: true, reads: []}  # the capture has no request\n", masters);
    c->units = all_reqs + all_answers;
    snprintf(c->unit, sizeof c->unit, "ADUs");
    snprintf(c->unit_detail, sizeof c->unit_detail, "%lu requests, %lu answers (%lu matched to a request)",
             all_reqs, all_answers, matched);
    return expected;
}

/* --derive-base (import_derive_modbus.c): every read the server answered.
 * The streams are cut as above, into a scratch capture: the import's own
 * pass counts their garbage, this one must not count it twice. */
void import_modbus_each_answered_read(capture *c, const import_stream *s, import_modbus_read_fn fn, void *ctx) {
    static capture scratch;
    for (unsigned k = 0; k < c->n_conns; k++) {
        memset(&scratch, 0, sizeof scratch);
        adu *reqs, *answers;
        size_t n = cut_adus(&scratch, (int)k, CAP_TO_SLAVE, &s[2 * k + CAP_TO_SLAVE], &reqs);
        size_t na = cut_adus(&scratch, (int)k, CAP_FROM_SLAVE, &s[2 * k + CAP_FROM_SLAVE], &answers);
        for (size_t i = 0; i < n; i++) {
            if (!is_read(&reqs[i])) continue;
            const adu *a = answer_to(&reqs[i], answers, na);
            if (!a || a->pdu_len < 2 || (a->pdu[0] & 0x80)) continue;
            const adu *r = &reqs[i];
            bool bits = r->pdu[0] <= 2;
            unsigned have = a->pdu[1], count = read_count(r);
            if (a->pdu_len < 2 + (size_t)have) have = (unsigned)(a->pdu_len - 2);
            unsigned items = bits ? have * 8 : have / 2;
            fn(ctx, r->unit, r->pdu[0], read_address(r), items < count ? items : count, a->pdu);
        }
        free(reqs);
        free(answers);
    }
}
