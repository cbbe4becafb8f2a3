/* Set-up shared by the libFuzzer targets (header only: each fuzz_*.c is its own binary). */
#ifndef GW_FUZZ_FIXTURE_H
#define GW_FUZZ_FIXTURE_H

#include <stdlib.h>

#include "core/clock.h"
#include "core/datahub.h"
#include "codec/decode/decode.h"

/* A point of meter (may be NULL) with value v in the given type. */
static inline void fuzz_publish(datahub *hub, const char *meter, const char *id, dp_type type,
                                double v) {
    dp p = {.id = id, .unit = "", .ts_ns = clock_wall_ns()};
    p.value.type = type;
    p.value.d = v;
    p.value.i = (int64_t)v;
    p.value.b = v != 0;
    p.origin.record = -1;
    p.origin.meter = meter;
    datahub_publish(hub, &p);
}

/* A decoder without keys, and one with the key of the OMS Annex N examples as default
 * and a key for meter 55667788, so that decryption paths run on the seeds. */
static inline void fuzz_decoders(decoder **keyed, decoder **bare) {
    char err[64];
    *keyed = decoder_new();
    *bare = decoder_new();
    if (!*keyed || !*bare)
        abort();
    decode_parse_key("0102030405060708090A0B0C0D0E0F11", (*keyed)->keys.default_key);
    (*keyed)->keys.has_default = true;
    decode_keys_add_line(&(*keyed)->keys, "55667788 000102030405060708090A0B0C0D0E0F", err,
                         sizeof err);
}

#endif
