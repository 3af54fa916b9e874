/*
 * libFuzzer entry points for the plan parser (coordinator/config/plan_file.c), one binary
 * per form, chosen by -DFUZZ_TARGET=<name> (see fuzz.cmake):
 *   plan_json  plan_file_from_json_text (API bodies, the store)
 *   plan_conf  plan_file_parse (libconfig plan files)
 * A plan that decodes must encode, and the encoding must decode to a plan with the same
 * encoding (decode(encode(p)) == p). Also built without libFuzzer to replay the corpus
 * and the regression inputs under ctest (replay_main.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/plan_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const struct sw_err *err)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, err->msg);
    abort();
}

static void fuzz_round_trip(const struct wave_plan *p)
{
    struct wave_plan again = {0};
    struct sw_err err = {0};
    json_t *j1 = NULL, *j2 = NULL;
    if (plan_file_to_json(p, &j1, &err) < 0) {
        fuzz_fail("a decoded plan does not encode", &err);
    }
    if (plan_file_from_json(j1, &again, &err) < 0) {
        fuzz_fail("an encoded plan does not decode", &err);
    }
    if (plan_file_to_json(&again, &j2, &err) < 0 || !json_equal(j1, j2)) {
        fuzz_fail("the encoding is not a fixpoint", &err);
    }
    json_decref(j1);
    json_decref(j2);
    wave_plan_cleanup(&again);
}

__attribute__((unused)) static void fuzz_plan_json(const uint8_t *data, size_t size)
{
    struct wave_plan p = {0};
    struct sw_err err = {0};
    if (plan_file_from_json_text((const char *)data, size, &p, &err) == 0) {
        fuzz_round_trip(&p);
    }
    wave_plan_cleanup(&p);
}

__attribute__((unused)) static void fuzz_plan_conf(const uint8_t *data, size_t size)
{
    struct wave_plan p = {0};
    struct sw_err err = {0};
    char *text = malloc(size + 1);
    if (text == NULL) {
        return;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (plan_file_parse(text, "plan.conf", &p, &err) == 0) {
        fuzz_round_trip(&p);
    }
    wave_plan_cleanup(&p);
    free(text);
}

#define FUZZ_CAT2(a, b) a##b
#define FUZZ_CAT(a, b)  FUZZ_CAT2(a, b)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_CAT(fuzz_, FUZZ_TARGET)(data, size);
    return 0;
}
