/*
 * Migration file names: ^[VU]<version>__<description>(\.<engine>)?\.sql$. Internal to
 * proto/src (migset.c); errors name the file and hint at a corrected name.
 */
#ifndef SW_PROTO_MIGSET_NAME_H
#define SW_PROTO_MIGSET_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"

/* What a valid file name says. */
struct migset_name {
    enum migset_dir dir;
    struct version version;
    char vtext[VERSION_TEXT_MAX];          /* as written, e.g. "03_1" */
    char desc[MIGSET_DESCRIPTION_MAX + 1]; /* as written, e.g. "add_status" */
    bool is_variant;
    enum migset_engine engine;
};

/* 4 when name ends in ".sql" in any letter case (a migration candidate), else 0. */
size_t migset_name_sql_suffix_len(const char *name);
/* Parses a file name into *out. SW_EINVAL with "<name>: bad file name: ..." (or
 * "<name>: unknown engine ...") and a hint "rename it, e.g. V3__add.sql". */
int migset_name_parse(const char *name, struct migset_name *out, struct sw_err *err);

#endif
