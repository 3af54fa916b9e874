/*
 * The expand/contract generator, pure part: validates what to generate (plain identifiers,
 * a SQL type, a default literal), derives object names deterministically and renders a
 * recipe's files (several consecutive versions, per engine, each with its down file) from
 * the templates in generate_tpl.c. No I/O; cmd_generate.c writes the files.
 */
#ifndef SW_CLI_GENERATE_H
#define SW_CLI_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "sw/migset.h"
#include "sw/version.h"

#define GENERATE_IDENT_MAX     63 /* PostgreSQL's limit (NAMEDATALEN - 1); MySQL allows 64 */
#define GENERATE_TYPE_MAX      128
#define GENERATE_DEFAULT_MAX   256
#define GENERATE_BATCH_DEFAULT 1000
#define GENERATE_BATCH_MAX     1000000
#define GENERATE_MAX_VERSIONS  3
#define GENERATE_FILE_MAX      (64u * 1024u)
#define GENERATE_MAX_FILES     (GENERATE_MAX_VERSIONS * 2u * MIGSET_ENGINE_COUNT)

enum generate_recipe {
    GENERATE_RENAME_COLUMN,       /* --rename-column TABLE.OLD:NEW --type TYPE */
    GENERATE_RENAME_TABLE,        /* --rename-table OLD:NEW */
    GENERATE_ADD_NOT_NULL_COLUMN, /* --add-not-null-column TABLE.COL TYPE DEFAULT */
    GENERATE_RECIPE_COUNT
};

/* What to generate. Fill it (generate_parse_spec for the option's argument), then
 * generate_params_check before rendering. Plain data. */
struct generate_params {
    enum generate_recipe recipe;
    char table[GENERATE_IDENT_MAX + 1];         /* rename-table: the old name */
    char column[GENERATE_IDENT_MAX + 1];        /* rename-column: the old name; add-not-null: new */
    char new_name[GENERATE_IDENT_MAX + 1];      /* rename-column / rename-table: the new name */
    char type[GENERATE_TYPE_MAX + 1];           /* rename-column, add-not-null: SQL type */
    char default_sql[GENERATE_DEFAULT_MAX + 1]; /* add-not-null: a literal */
    char key[GENERATE_IDENT_MAX + 1];           /* batch key column ("id" by default) */
    int batch_size;                             /* key range per batch */
};

/* One generated file in memory (owned by its generate_output). */
struct generate_file {
    char *name; /* e.g. "V7__expand_rename_users_name_to_full_name.pg.sql" */
    char *text;
    size_t len;
};

struct generate_output {
    size_t n_files;
    struct generate_file files[GENERATE_MAX_FILES];
};

/* The option name of a recipe ("--rename-column"). */
const char *generate_recipe_option(enum generate_recipe recipe);
/* How many consecutive versions the recipe writes (2 or 3). */
size_t generate_recipe_versions(enum generate_recipe recipe);

/* Sets p->recipe and parses the option's argument into p: "TABLE.OLD:NEW" (rename-column),
 * "OLD:NEW" (rename-table) or "TABLE.COL" (add-not-null). Errors (SW_EINVAL) name the
 * option: "new: --rename-column: expected TABLE.OLD:NEW, got 'users.name'";
 * "new: --rename-column: 'user-name' is not a plain identifier" with a hint. */
int generate_parse_spec(enum generate_recipe recipe, const char *arg, struct generate_params *p,
                        struct sw_err *err);

/* Checks a filled parameter set: identifiers, new name differs from the old one, the type
 * ("new: --type 'text; drop table x' is not a plain SQL type"), the default literal
 * ("new: default 'now()' is not a literal ..."), the batch size. SW_EINVAL. */
int generate_params_check(const struct generate_params *p, struct sw_err *err);

/* Deterministic object name: the parts joined by '_'; when longer than GENERATE_IDENT_MAX
 * it is cut to 54 characters followed by '_' and the first 8 hex digits of the SHA-256 of
 * the full name. out needs GENERATE_IDENT_MAX + 1 bytes. */
int generate_object_name(const char *const *parts, size_t n_parts, char out[GENERATE_IDENT_MAX + 1],
                         struct sw_err *err);

/* Renders the recipe for the engines in engine_mask (bit 1u << enum migset_engine) with
 * the given consecutive version texts (generate_recipe_versions(p->recipe) of them):
 * for each version and engine a V and a U file, named
 * V<version>__<phase>_<what>.<engine>.sql. Pure. out is caller-embedded (zeroed); free it
 * with generate_output_cleanup, also after a failure. */
int generate_render(const struct generate_params *p, unsigned engine_mask,
                    const char *const *versions, struct generate_output *out, struct sw_err *err);
void generate_output_cleanup(struct generate_output *out);

#endif
