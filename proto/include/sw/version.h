/*
 * Migration versions: integers separated by '.' or '_', compared numerically
 * part by part (1 < 1.1 < 1.2 < 2 < 10 < 20261123120000). Trailing zero parts
 * are insignificant (1 == 1.0 == 1_0), so such pairs are duplicates.
 * Version 0 means "nothing applied" and is never a file's version.
 */
#ifndef SW_PROTO_VERSION_H
#define SW_PROTO_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"

#define VERSION_MAX_PARTS 8
/* Longest canonical text: 8 parts of 20 digits + 7 dots + NUL. */
#define VERSION_TEXT_MAX 176

struct version {
    uint32_t n_parts; /* 0 for version 0 */
    uint64_t parts[VERSION_MAX_PARTS];
};

/* Parses text[0..len). Accepts digits separated by single '.' or '_'; each part fits
 * uint64; at most VERSION_MAX_PARTS parts. Trailing zero parts are dropped, so "0" and
 * "0.0" give n_parts == 0. Errors (SW_EINVAL) say what is wrong, e.g.
 * "version '1..2': empty part" — the caller prefixes the file name. */
int version_parse(const char *text, size_t len, struct version *out, struct sw_err *err);
/* Same for a NUL-terminated string. */
int version_parse_str(const char *text, struct version *out, struct sw_err *err);
/* <0, 0, >0 like strcmp. */
int version_cmp(const struct version *a, const struct version *b);
bool version_is_zero(const struct version *v);
/* Canonical text: parts joined by '.', no leading zeros; "0" for version 0.
 * buf must hold VERSION_TEXT_MAX bytes. Returns buf. */
const char *version_format(const struct version *v, char *buf, size_t cap);

#endif
