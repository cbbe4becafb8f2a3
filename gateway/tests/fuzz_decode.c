/* libFuzzer target for the whole decode path (`gwd decode`): wired and
 * wireless link layers, ELL, AFL, transport headers, OMS security with and
 * without a key, the records and the JSON writer. Any input must give a
 * telegram and a JSON object (with "error" when it does not decode), never a
 * crash, leak or undefined behaviour. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"
#include "tests/fuzz_fixture.h"

static decoder *keyed, *bare;
static telegram tg;
static char json[DECODE_JSON_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!keyed)
        fuzz_decoders(&keyed, &bare);
    for (int pass = 0; pass < 2; pass++) {
        bool ok = decode_telegram(pass ? bare : keyed, data, size, &tg);
        size_t n = decode_json(&tg, json, sizeof json);
        if (n == 0 || json[0] != '{' || json[n - 1] != '}')
            abort();
        if (!ok && !tg.has_error)
            abort(); /* a failure always says why */
        if (!strstr(json, "\"security\":"))
            abort(); /* every object states the security outcome */
        if (tg.trailing_len > size)
            abort();
    }
    return 0;
}
