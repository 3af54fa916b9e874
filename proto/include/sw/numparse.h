/* Checked number parsing (atoi/strtol without checks are banned). */
#ifndef SW_PROTO_NUMPARSE_H
#define SW_PROTO_NUMPARSE_H

#include <stdint.h>

#include "sw/err.h"

/* Parses all of `s` as a base-10 integer in [min, max]. `what` names the value in
 * the error, e.g. "--target". Leading/trailing garbage, overflow and range are errors. */
int sw_parse_int64(const char *s, int64_t min, int64_t max, const char *what, int64_t *out,
                   struct sw_err *err);
int sw_parse_int(const char *s, int min, int max, const char *what, int *out, struct sw_err *err);

#endif
