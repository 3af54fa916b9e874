/*
 * libFuzzer entry point for the SQL statement splitter (proto/sqlsplit): every input is
 * split with the rules of all three engines. Besides "no crash, no leak, no UB", each
 * statement must lie inside the script, after the previous one, be non-empty, and carry
 * the line of its offset. Also built without libFuzzer to replay the corpus and the
 * regression inputs under ctest (replay_main.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlsplit/sqlsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(enum migset_engine engine, const char *what, size_t idx)
{
    fprintf(stderr, "fuzz: %s: statement %zu: %s\n", migset_engine_name(engine), idx, what);
    abort();
}

static void fuzz_check(enum migset_engine engine, const char *script, size_t len,
                       const struct sqlsplit_result *r)
{
    size_t prev_end = 0;
    for (size_t i = 0; i < r->n_stmts; i++) {
        const struct sqlsplit_stmt *st = &r->stmts[i];
        if (st->len == 0 || st->offset > len || st->len > len - st->offset) {
            fuzz_fail(engine, "outside the script or empty", i);
        }
        if (st->offset < prev_end) {
            fuzz_fail(engine, "overlaps the previous statement", i);
        }
        if (st->line != sqlsplit_line_of(script, st->offset)) {
            fuzz_fail(engine, "wrong line number", i);
        }
        prev_end = st->offset + st->len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *script = malloc(size + 1);
    if (script == NULL) {
        return 0;
    }
    memcpy(script, data, size);
    script[size] = '\0';
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        struct sqlsplit_result r;
        struct sw_err err = {0};
        if (sqlsplit_split((enum migset_engine)e, script, size, &r, &err) == 0) {
            fuzz_check((enum migset_engine)e, script, size, &r);
            sqlsplit_result_cleanup(&r);
        }
    }
    free(script);
    return 0;
}
