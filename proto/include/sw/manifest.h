/*
 * shardwave.sum: the checksum of every migration file, one line each,
 *   # shardwave.sum v1: SHA-256 of each migration (CRLF folded). Written by shardwave; do not edit.
 *   <64 hex>  <file name>
 * in version order (then U after V, portable before variants, by name). Written by
 * `shardwave new` and `shardwave sum`; compared by migset_load.
 */
#ifndef SW_PROTO_MANIFEST_H
#define SW_PROTO_MANIFEST_H

#include <stddef.h>

#include "sw/checksum.h"
#include "sw/err.h"

#define MANIFEST_FILE_NAME "shardwave.sum"
#define MANIFEST_MAX_BYTES (32u * 1024u * 1024u)

struct manifest_entry {
    char *name;
    char checksum[CHECKSUM_HEX_LEN + 1];
};

struct manifest {
    struct manifest_entry *entries;
    size_t n_entries;
};

/* Parses manifest text. Errors cite the line: "shardwave.sum:7: expected '<sha256>  <file>'";
 * duplicate names are errors. *out is caller-embedded; release with manifest_cleanup. */
int manifest_parse(const char *text, size_t len, struct manifest *out, struct sw_err *err);
void manifest_cleanup(struct manifest *m);
/* Borrowed entry for `name`, or NULL. */
const struct manifest_entry *manifest_find(const struct manifest *m, const char *name);

struct migset;
/* Renders the manifest for a loaded set into a heap string (caller frees). */
int manifest_render(const struct migset *set, char **out, struct sw_err *err);
/* Loads `dir` without the manifest check and atomically (re)writes dir/shardwave.sum. */
int manifest_write_for_dir(const char *dir, struct sw_err *err);

#endif
