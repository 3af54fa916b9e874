/*
 * Label selectors: which shards a plan stage (or a plan's scope) picks. The syntax
 * follows Kubernetes set-based selectors, parsed once into a struct and matched
 * against fleet shards many times. Pure: no I/O.
 *
 *   *                      every shard
 *   tier=canary            label equals the value
 *   region!=eu             label differs from the value, or is absent
 *   region in (eu, us)     label is one of the values
 *   region notin (ap)      label is none of the values, or is absent
 *   has(host)   host       label exists
 *   !host                  label does not exist
 *   tier=canary,region=eu  conjunction: every requirement holds
 *
 * Keys are label keys ([a-z0-9_.-], 1..64 characters). Values are 1..128 characters
 * other than white space, ',', '(', ')', '=' and '!'. White space around tokens is
 * ignored. `in`, `notin` and `has` are keywords only where the grammar expects them
 * (`in` alone is the existence test of a label named "in").
 */
#ifndef SW_COORDINATOR_WAVE_SELECTOR_H
#define SW_COORDINATOR_WAVE_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "sw/strbuf.h"
#include "wave/wave_types.h"

#define SELECTOR_TEXT_MAX   (64 * 1024) /* longest expression accepted */
#define SELECTOR_MAX_REQS   64          /* requirements in one conjunction */
#define SELECTOR_MAX_VALUES 256         /* values in one in/notin list */

enum selector_op {
    SELECTOR_EQ,         /* key=value */
    SELECTOR_NE,         /* key!=value (absent matches) */
    SELECTOR_IN,         /* key in (v1, v2) */
    SELECTOR_NOTIN,      /* key notin (v1, v2) (absent matches) */
    SELECTOR_EXISTS,     /* has(key), key */
    SELECTOR_NOT_EXISTS, /* !key */
    SELECTOR_OP_COUNT
};

struct selector_req {
    enum selector_op op;
    char *key;
    size_t n_values; /* 1 for EQ/NE, >= 1 for IN/NOTIN, 0 otherwise */
    char **values;   /* in the order written */
};

struct selector {
    bool match_all; /* "*" */
    size_t n_reqs;
    struct selector_req *reqs; /* in the order written; all must hold */
};

/* Parses `text` into *out (a zeroed struct; release with selector_cleanup). Errors are
 * SW_EINVAL and name the expression and the 1-based column, e.g.
 *   "selector 'tier==x': column 6: expected a value"
 *   "selector '': column 1: expected a label key or '*'"
 *   "selector 'Tier=x': column 1: bad label key 'Tier' (use [a-z0-9_.-], 1..64 characters)"
 * SW_ETOOBIG over the limits above, SW_ENOMEM. On failure *out is left empty. */
int selector_parse(const char *text, struct selector *out, struct sw_err *err);
/* Frees what *sel owns and zeroes it; safe on a zeroed struct. */
void selector_cleanup(struct selector *sel);

/* Whether the shard satisfies every requirement. Thread-safe (reads only). */
bool selector_match(const struct selector *sel, const struct fleet_shard *shard);

/* Appends the canonical text ("tier=canary,region in (eu,us),has(host)") to out;
 * parsing it gives an equal selector. SW_ETOOBIG when out's maximum is reached. */
int selector_format(const struct selector *sel, struct sw_strbuf *out, struct sw_err *err);

/* "=", "!=", "in", "notin", "has", "!". */
const char *selector_op_name(enum selector_op op);

#endif
