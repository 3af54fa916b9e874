/*
 * libFuzzer entry points for the wire decoders (one binary per message, chosen by
 * -DFUZZ_MESSAGE=<name>, see fuzz.cmake). Besides "no crash, no leak, no UB" it checks a
 * round-trip property: whatever decodes must encode, the encoding must decode again, and
 * encoding that gives the same text (decode . encode is a fixpoint).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/wire.h"
#include "sw/wire_agent.h"
#include "sw/wire_lease.h"
#include "sw/wire_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const struct sw_err *err)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, err->msg);
    abort();
}

/* Decodes; on success encode, decode the encoding, encode again, compare texts. */
#define FUZZ_ROUND_TRIP(X)                                                                         \
    __attribute__((unused)) static void fuzz_##X(const uint8_t *data, size_t size)                 \
    {                                                                                              \
        struct wire_##X a, b;                                                                      \
        struct sw_err err = {0};                                                                   \
        char *t1 = NULL, *t2 = NULL;                                                               \
        if (wire_##X##_decode((const char *)data, size, &a, &err) < 0) {                           \
            return;                                                                                \
        }                                                                                          \
        if (wire_##X##_encode(&a, &t1, &err) < 0) {                                                \
            fuzz_fail("decoded message does not encode", &err);                                    \
        }                                                                                          \
        if (wire_##X##_decode(t1, strlen(t1), &b, &err) < 0) {                                     \
            fuzz_fail("encoding does not decode", &err);                                           \
        }                                                                                          \
        if (wire_##X##_encode(&b, &t2, &err) < 0 || strcmp(t1, t2) != 0) {                         \
            fuzz_fail("encoding is not a fixpoint", &err);                                         \
        }                                                                                          \
        free(t1);                                                                                  \
        free(t2);                                                                                  \
        wire_##X##_cleanup(&a);                                                                    \
        wire_##X##_cleanup(&b);                                                                    \
    }

FUZZ_ROUND_TRIP(register_req)
FUZZ_ROUND_TRIP(register_resp)
FUZZ_ROUND_TRIP(start_req)
FUZZ_ROUND_TRIP(start_resp)
FUZZ_ROUND_TRIP(heartbeat_req)
FUZZ_ROUND_TRIP(heartbeat_resp)
FUZZ_ROUND_TRIP(lease_req)
FUZZ_ROUND_TRIP(lease_resp)
FUZZ_ROUND_TRIP(report_req)
FUZZ_ROUND_TRIP(report_resp)

/* The API error document has a decoder only. */
__attribute__((unused)) static void fuzz_error(const uint8_t *data, size_t size)
{
    struct wire_error e;
    struct sw_err err = {0};
    if (wire_error_decode((const char *)data, size, &e, &err) == 0 && e.message == NULL) {
        fuzz_fail("decoded error without message", &err);
    }
    wire_error_cleanup(&e);
}

#define FUZZ_CAT2(a, b) a##b
#define FUZZ_CAT(a, b)  FUZZ_CAT2(a, b)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_CAT(fuzz_, FUZZ_MESSAGE)(data, size);
    return 0;
}
