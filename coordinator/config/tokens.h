/*
 * The coordinator's bearer tokens file: one token per line, `<role> <name> <secret>`,
 * role read|operator|agent, secret either the token itself or `sha256:<64 hex>` of it;
 * `#` comments and blank lines. Only SHA-256 digests are kept in memory; lookups compare
 * the presented token's digest with every entry in constant time (CRYPTO_memcmp).
 */
#ifndef SW_COORDINATOR_CONFIG_TOKENS_H
#define SW_COORDINATOR_CONFIG_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "wave/wave_types.h"

#define TOKENS_FILE_MAX_BYTES (1024u * 1024u)
#define TOKENS_MAX            10000
#define TOKENS_MIN_SECRET_LEN 16 /* plain secrets shorter than this are refused */

enum tokens_role {
    TOKENS_ROLE_READ,     /* GET endpoints */
    TOKENS_ROLE_OPERATOR, /* everything an operator does, including reads */
    TOKENS_ROLE_AGENT,    /* agent endpoints only */
    TOKENS_ROLE_COUNT
};

const char *tokens_role_name(enum tokens_role r);            /* "read", "operator", "agent" */
int tokens_role_parse(const char *s, enum tokens_role *out); /* 0 or SW_EINVAL (no message) */
/* Whether a caller with role `have` may use an endpoint that requires `need`:
 * operator covers read; read and agent cover only themselves. */
bool tokens_role_allows(enum tokens_role have, enum tokens_role need);

/* Who presented a token (copied out, so it stays valid across a tokens reload). */
struct tokens_identity {
    char name[FLEET_ID_MAX + 1];
    enum tokens_role role;
};

struct tokens; /* opaque, immutable after load; lookups are thread-safe */

/* Loads the tokens file. Refuses a file readable by others (mode & 004):
 * "tokens file /etc/shardwave/tokens is readable by every user (mode 0644)" with hint
 * "chmod 600 /etc/shardwave/tokens". Lines are checked, messages cite file:line:
 *   "tokens:3: unknown role 'admin' (expected read, operator or agent)"
 *   "tokens:5: expected '<role> <name> <secret>'"
 *   "tokens:7: duplicate name 'ci' (first at line 2)"
 *   "tokens:8: same token as 'ci' (line 2)"
 *   "tokens:9: token 'ops': token shorter than 16 characters"
 * Never puts a secret into a message. SW_EINVAL / SW_ENOTFOUND / SW_EIO / SW_ETOOBIG. */
int tokens_load(const char *path, struct tokens **out, struct sw_err *err);
/* Same from text (no permission check); `name` stands for the file in messages. */
int tokens_parse(const char *text, const char *name, struct tokens **out, struct sw_err *err);
void tokens_free(struct tokens *t);
size_t tokens_count(const struct tokens *t);

/* Looks up a presented bearer token (len bytes): hashes it and compares the digest with
 * every entry in constant time. 0 and *who filled, or SW_ENOTFOUND ("unknown token",
 * never echoing the token). */
int tokens_lookup(const struct tokens *t, const char *token, size_t len,
                  struct tokens_identity *who, struct sw_err *err);

#endif
