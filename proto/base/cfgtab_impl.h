/* Helpers shared by cfgtab.c (loading) and cfgtab_text.c (printing, help, reload). */
#ifndef SW_PROTO_BASE_CFGTAB_IMPL_H
#define SW_PROTO_BASE_CFGTAB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/cfgtab.h"

#define CFGTAB_ENV_NAME_MAX 256

/* The entry's field inside cfg (borrowed). */
const void *cfgtab_field(const void *cfg, const struct cfgtab_entry *e);
/* Whether min/max apply (not both 0). */
bool cfgtab_has_bounds(const struct cfgtab_entry *e);
/* Unit of a plain number for CFGTAB_DURATION_MS (1 when unset). */
int64_t cfgtab_unit_ms(const struct cfgtab_entry *e);
/* "90s", "1500ms", "5m", "0": the largest unit that divides ms exactly. Returns buf. */
const char *cfgtab_format_duration(int64_t ms, char *buf, size_t cap);

#endif
