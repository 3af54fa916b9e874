/*
 * A migration set: one directory of versioned SQL files (the contract in
 * docs/file-format.md):
 *   V<version>__<description>.sql            up, portable
 *   V<version>__<description>.<engine>.sql   up, engine variant (pg|mysql|sqlite); wins for it
 *   U<version>__<description>[.<engine>].sql down (optional)
 *   shardwave.sum                            manifest of checksums (optional, see manifest.h)
 * Other files (README.md, ...) are ignored; other *.sql files are errors.
 * Subdirectories are ignored.
 */
#ifndef SW_PROTO_MIGSET_H
#define SW_PROTO_MIGSET_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/checksum.h"
#include "sw/directive.h"
#include "sw/err.h"
#include "sw/version.h"

enum migset_engine {
    MIGSET_ENGINE_PG,
    MIGSET_ENGINE_MYSQL,
    MIGSET_ENGINE_SQLITE,
    MIGSET_ENGINE_COUNT
};
enum migset_dir { MIGSET_UP, MIGSET_DOWN };

/* Limits (documented in docs/file-format.md). */
#define MIGSET_MAX_FILE_BYTES  (16u * 1024u * 1024u)
#define MIGSET_MAX_FILES       100000u
#define MIGSET_DESCRIPTION_MAX 200

/* "pg", "mysql", "sqlite". */
const char *migset_engine_name(enum migset_engine e);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int migset_engine_parse(const char *name, size_t len, enum migset_engine *out);

struct migset_file {
    char *name; /* file name within the directory, e.g. "V3__add_status.pg.sql" */
    char *sql;  /* file bytes with CRLF folded to LF, NUL-terminated */
    size_t sql_len;
    char checksum[CHECKSUM_HEX_LEN + 1];
    struct directive_set directives;
    enum migset_dir dir;
    bool is_variant;           /* true for <description>.<engine>.sql */
    enum migset_engine engine; /* meaningful when is_variant */
};

struct migset_step {
    struct version version;
    char version_text[VERSION_TEXT_MAX]; /* canonical, e.g. "1.2" */
    char *description;               /* from the file name, '_' shown as ' ' ("add user status") */
    struct migset_file *up_portable; /* may be NULL when only variants exist */
    struct migset_file *up_variant[MIGSET_ENGINE_COUNT];
    struct migset_file *down_portable;
    struct migset_file *down_variant[MIGSET_ENGINE_COUNT];
};

struct migset;

/* Called for each problem when the caller wants them all (shardwave validate). */
typedef void (*migset_problem_fn)(void *ctx, const struct sw_err *problem);

struct migset_load_opts {
    bool skip_manifest;           /* do not compare with shardwave.sum */
    migset_problem_fn on_problem; /* NULL: stop at the first problem */
    void *ctx;
    const char *origin; /* migset_load_files: the set's path in messages; NULL = "(memory)" */
};

/* Loads and validates every migration file in `dir`. Errors (SW_EINVAL unless said)
 * name the file and what to do:
 *   "V3x__add.sql: bad file name: version must be digits separated by '.' or '_'"
 *   "V3__a.sql and V3__b.sql: duplicate version 3" (also 3 vs 3.0)
 *   "U4__drop.sql: down migration without an up migration V4__*.sql"
 *   "V5__x.oracle.sql: unknown engine 'oracle' (expected pg, mysql or sqlite)"
 *   "V2__x.sql:3: unknown directive 'foo'"
 *   SW_ECHECKSUM "V2__x.sql: differs from shardwave.sum: never modify a committed migration"
 *   SW_ENOTFOUND when dir does not exist.
 * With opts->on_problem set, every problem is reported there and loading goes on;
 * the return is then the first problem's code. opts may be NULL.
 * On success *out is owned by the caller (migset_free). */
int migset_load(const char *dir, const struct migset_load_opts *opts, struct migset **out,
                struct sw_err *err);

/* One file of a migration set held in memory (an upload, the store, compiled-in
 * migrations). Borrowed: name and content are only read during the call. */
struct migset_mem_file {
    const char *name; /* plain file name, e.g. "V1__init.sql" or "shardwave.sum" */
    const char *content;
    size_t len; /* bytes of content (need not be NUL-terminated) */
};

/* Loads and validates a set from memory exactly like migset_load does a directory
 * (the same names, checks, manifest comparison when files include shardwave.sum,
 * and digest). Names must be plain file names (no '/', not hidden) and unique:
 * "a/V1__x.sql: not a plain file name", "V1__x.sql: listed twice". Files that are
 * not migrations (README.md, ...) are ignored. migset_dir_path() of the result is
 * opts->origin, or "(memory)". */
int migset_load_files(const struct migset_mem_file *files, size_t n_files,
                      const struct migset_load_opts *opts, struct migset **out, struct sw_err *err);
void migset_free(struct migset *set);

const char *migset_dir_path(const struct migset *set);
/* Steps in ascending version order. Borrowed, valid until migset_free. */
size_t migset_count(const struct migset *set);
const struct migset_step *migset_step_at(const struct migset *set, size_t idx);
/* NULL when no step has that version. */
const struct migset_step *migset_find(const struct migset *set, const struct version *v);
/* Highest version, or version 0 for an empty set. */
struct version migset_latest(const struct migset *set);
/* The file to run for `engine`: the engine variant if present, else the portable
 * file, else NULL (no file for that engine / no down migration). */
const struct migset_file *migset_step_file(const struct migset_step *step, enum migset_dir dir,
                                           enum migset_engine engine);
/* SHA-256 over the manifest text of the loaded files (the set's identity for waves). */
const char *migset_digest(const struct migset *set);
/* Whether shardwave.sum was present and checked. */
bool migset_has_manifest(const struct migset *set);

#endif
