/* `shardwave new` (next version's V and U files) and `shardwave sum` (rewrite shardwave.sum). */
#include "cmd_author.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd_generate.h"
#include "sw/fsutil.h"
#include "sw/manifest.h"
#include "sw/strbuf.h"

/* Versions at or above this (14 digits) are UTC timestamps YYYYMMDDHHMMSS. */
#define AUTHOR_TIMESTAMP_MIN 10000000000000ull
#define AUTHOR_TEMPLATE_MAX  (16u * 1024u)

static const char author_new_help[] =
    "NAME\n"
    "    shardwave new - write the next migration's up and down files\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave new DIR \"description\" [--engine pg|mysql|sqlite] [--timestamp]\n"
    "    shardwave new DIR --rename-column TABLE.OLD:NEW --type TYPE [options]\n"
    "    shardwave new DIR --rename-table OLD:NEW [options]\n"
    "    shardwave new DIR --add-not-null-column TABLE.COL TYPE DEFAULT [options]\n"
    "\n"
    "DESCRIPTION\n"
    "    Picks the next version for the migration set in DIR and creates\n"
    "        DIR/V<version>__<description>.sql   the change (fill it in)\n"
    "        DIR/U<version>__<description>.sql   its undo (fill it in, or delete it)\n"
    "    then rewrites DIR/shardwave.sum. You never choose version numbers by hand: the next\n"
    "    version is the highest major version plus one (1, 2, 3 ...). With --timestamp, or\n"
    "    automatically once the set already uses 14-digit versions, it is the current UTC\n"
    "    time as YYYYMMDDHHMMSS, which avoids clashes between branches.\n"
    "\n"
    "    The description becomes the file name: lowercase, every run of characters other\n"
    "    than a-z and 0-9 replaced by '_' (\"Add user status!\" -> add_user_status).\n"
    "    DIR is created when missing. Existing files are never overwritten, and the\n"
    "    command refuses to run when committed files differ from shardwave.sum.\n"
    "\n"
    "OPTIONS\n"
    "    --engine ENGINE   write engine-specific files V<v>__<d>.<engine>.sql (pg, mysql or\n"
    "                      sqlite); they win over a portable file on that engine\n"
    "    --timestamp       use a UTC timestamp version instead of the next integer\n"
    "    -q, --quiet       print nothing on success\n"
    "    --log-level LEVEL error, warn, info, debug or trace\n"
    "    -h, --help        show this help\n"
    "\n"
    "EXPAND/CONTRACT RECIPES\n"
    "    shardwave new DIR --rename-column TABLE.OLD:NEW --type TYPE [--key COL]\n"
    "                      [--batch-size N] [--engine E] [--timestamp]\n"
    "    shardwave new DIR --rename-table OLD:NEW [--engine E] [--timestamp]\n"
    "    shardwave new DIR --add-not-null-column TABLE.COL TYPE DEFAULT [--key COL]\n"
    "                      [--batch-size N] [--engine E] [--timestamp]\n"
    "\n"
    "    Instead of one blank pair, these write a zero-downtime recipe as consecutive\n"
    "    versions, with engine files (.pg, .mysql, .sqlite; only E with --engine) and a down\n"
    "    file for each. Every file starts with the rollout and says which application\n"
    "    deploy goes between which versions (docs/expand-contract.md).\n"
    "      --rename-column  V1 expand: adds NEW (of --type TYPE, OLD's type: required) and\n"
    "                       triggers that keep OLD and NEW equal whichever one is written;\n"
    "                       V2 backfill: copies OLD into NEW in batches; then deploy the\n"
    "                       application that uses NEW; V3 contract: drops the triggers and\n"
    "                       OLD (destructive-ok, contract-of V2).\n"
    "      --rename-table   V1 expand: a view NEW over table OLD; then deploy the\n"
    "                       application that uses NEW; V2 contract: drops the view and\n"
    "                       renames the table to NEW in one step (contract-of V1).\n"
    "      --add-not-null-column\n"
    "                       V1 add, V2 backfill, V3 enforce: PostgreSQL adds the column\n"
    "                       nullable with DEFAULT and CHECK (COL IS NOT NULL) NOT VALID,\n"
    "                       backfills in batches, then VALIDATEs and sets NOT NULL; MySQL\n"
    "                       and SQLite add it NOT NULL DEFAULT at once (metadata only) and\n"
    "                       leave V2 and V3 empty. DEFAULT is a literal: 42, 'text', true.\n"
    "    Names must be plain identifiers (letters, digits, '_'). Triggers, functions and\n"
    "    constraints are named sw_sync_<table>_<old>_<new>[_ins|_upd...],\n"
    "    sw_backfill_<table>_<col> and <table>_<col>_not_null (cut and hashed beyond 63\n"
    "    characters).\n"
    "    --key COL         batches walk this indexed integer column (default id)\n"
    "    --batch-size N    key values per batch, each committed on its own (default 1000)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 files written; 2 bad arguments or a problem in DIR; 4 a file already exists;\n"
    "    5 a file differs from shardwave.sum; 74 file system error.\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave new db/migrations \"create users\"\n"
    "    shardwave new db/migrations \"add index on users email\" --engine pg\n"
    "    shardwave new db/migrations --rename-column users.name:full_name --type text\n"
    "    shardwave new db/migrations --rename-table customer:customers\n"
    "    shardwave new db/migrations --add-not-null-column users.status \"varchar(20)\" "
    "\"'active'\"\n";

static const char author_sum_help[] =
    "NAME\n"
    "    shardwave sum - rewrite shardwave.sum for the files in a migration directory\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave sum DIR\n"
    "\n"
    "DESCRIPTION\n"
    "    shardwave.sum records the SHA-256 of every migration file; shardwave refuses to\n"
    "    load a set whose files differ from it, because a committed migration must never\n"
    "    change. After you edited, added or removed a file that was never applied anywhere\n"
    "    (for example while writing it on your branch), run this to record the new\n"
    "    checksums. It prints each added, removed and changed file. Writing is atomic.\n"
    "\n"
    "    Do not use it to paper over an edit of an applied migration: 'shardwave validate\n"
    "    --dir DIR --dsn DSN' and 'shardwave migrate' compare with the checksums recorded in\n"
    "    the database and still refuse.\n"
    "\n"
    "OPTIONS\n"
    "    -q, --quiet       print nothing\n"
    "    --log-level LEVEL error, warn, info, debug or trace\n"
    "    -h, --help        show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written or already up to date; 2 a problem in DIR; 3 DIR does not exist;\n"
    "    74 file system error.\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave sum db/migrations\n";

/* "Add user status!" -> "add_user_status". */
static int author_slug(const char *desc, char *out, size_t cap, struct sw_err *err)
{
    size_t n = 0;
    bool pending_sep = false;
    for (const unsigned char *p = (const unsigned char *)desc; *p != '\0'; p++) {
        bool alnum =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum) {
            pending_sep = n > 0;
            continue;
        }
        if (n + (pending_sep ? 2 : 1) >= cap) {
            return sw_err_set(err, SW_EINVAL, "new: description is longer than %zu characters",
                              cap - 1);
        }
        if (pending_sep) {
            out[n++] = '_';
            pending_sep = false;
        }
        out[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : (char)*p;
    }
    out[n] = '\0';
    if (n == 0) {
        sw_err_set(err, SW_EINVAL, "new: description '%s' has no letters or digits", desc);
        sw_err_hint(err, "describe the change, e.g. \"add user status column\"");
        return SW_EINVAL;
    }
    return 0;
}

int cmd_author_mkdirs(const char *dir, struct sw_err *err)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        return sw_err_set(err, SW_EINVAL, "new: directory path is too long");
    }
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            return sw_err_set(err, SW_EIO, "%s: cannot create directory: %s", path,
                              strerror(errno));
        }
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        return sw_err_set(err, SW_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    }
    return 0;
}

static uint64_t author_utc_timestamp(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return (uint64_t)(tm.tm_year + 1900) * 10000000000ull +
           (uint64_t)(tm.tm_mon + 1) * 100000000ull + (uint64_t)tm.tm_mday * 1000000ull +
           (uint64_t)tm.tm_hour * 10000ull + (uint64_t)tm.tm_min * 100ull + (uint64_t)tm.tm_sec;
}

uint64_t cmd_author_next_major(const struct migset *set, bool timestamp)
{
    struct version latest = migset_latest(set);
    uint64_t major = latest.n_parts > 0 ? latest.parts[0] : 0;
    uint64_t next = major + 1;
    if (timestamp || major >= AUTHOR_TIMESTAMP_MIN) {
        uint64_t ts = author_utc_timestamp();
        next = ts > major ? ts : major + 1;
    }
    return next;
}

static int author_render_up(struct sw_strbuf *sb, const char *desc, const char *version,
                            const char *base, struct sw_err *err)
{
    return sw_strbuf_printf(
        sb, err,
        "-- %s\n"
        "-- Version %s, written by `shardwave new`. Put the change below: one or more\n"
        "-- statements, each ending with ';'. Comments and blank lines are fine; a file with\n"
        "-- only comments is a valid no-op step.\n"
        "--\n"
        "-- Once this file has been applied anywhere, never edit it: write a new migration\n"
        "-- instead (shardwave.sum and the database's history table keep its checksum).\n"
        "-- While it is unapplied, run `shardwave sum DIR` after editing it.\n"
        "--\n"
        "-- Directives, if you need them, go in this leading comment block, one per line,\n"
        "-- each written as a comment line starting with `-- shardwave: ` (see "
        "docs/file-format.md):\n"
        "--   no-transaction            run outside a transaction (CREATE INDEX CONCURRENTLY)\n"
        "--   destructive-ok <reason>   acknowledge a destructive change (DROP, narrowing)\n"
        "--   lock-timeout <ms>         lock timeout for this step\n"
        "--   statement-timeout <ms>    statement timeout for this step (0 = none)\n"
        "--\n"
        "-- Engine-specific SQL: put it in %s.pg.sql, .mysql.sql or .sqlite.sql\n"
        "-- beside this file; such a file wins over this one on its engine.\n"
        "\n",
        desc, version, base);
}

static int author_render_down(struct sw_strbuf *sb, const char *desc, const char *up_name,
                              struct sw_err *err)
{
    return sw_strbuf_printf(
        sb, err,
        "-- Undo: %s\n"
        "-- Reverses %s for `shardwave undo`. Write statements that\n"
        "-- restore the schema exactly as it was before the up migration, newest change\n"
        "-- first. If the change cannot be undone, delete this file: undo then stops before\n"
        "-- this version instead of pretending.\n"
        "\n",
        desc, up_name);
}

struct author_names {
    char base[MIGSET_DESCRIPTION_MAX + 64]; /* V<v>__<slug> */
    char up[MIGSET_DESCRIPTION_MAX + 96];
    char down[MIGSET_DESCRIPTION_MAX + 96];
};

static void author_make_names(const char *version, const char *slug, const char *engine,
                              struct author_names *n)
{
    snprintf(n->base, sizeof n->base, "V%s__%s", version, slug);
    const char *dot = engine != NULL ? "." : "";
    const char *eng = engine != NULL ? engine : "";
    snprintf(n->up, sizeof n->up, "V%s__%s%s%s.sql", version, slug, dot, eng);
    snprintf(n->down, sizeof n->down, "U%s__%s%s%s.sql", version, slug, dot, eng);
}

static int author_write(const char *dir, const char *name, const struct sw_strbuf *sb,
                        char **path_out, struct sw_err *err)
{
    char *path = sw_path_join(dir, name);
    if (path == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = sw_file_create_excl(path, sw_strbuf_str(sb), sb->len, err);
    if (rc != 0) {
        free(path);
        return rc;
    }
    *path_out = path;
    return 0;
}

/* Writes the V and U files; on failure nothing is left behind. */
static int author_write_pair(const char *dir, const char *desc, const char *version,
                             const struct author_names *n, struct sw_err *err)
{
    struct sw_strbuf up = {0}, down = {0};
    sw_strbuf_init(&up, AUTHOR_TEMPLATE_MAX);
    sw_strbuf_init(&down, AUTHOR_TEMPLATE_MAX);
    char *up_path = NULL, *down_path = NULL;
    int rc = author_render_up(&up, desc, version, n->base, err);
    if (rc == 0) {
        rc = author_render_down(&down, desc, n->up, err);
    }
    if (rc == 0) {
        rc = author_write(dir, n->up, &up, &up_path, err);
    }
    if (rc == 0) {
        rc = author_write(dir, n->down, &down, &down_path, err);
        if (rc != 0) {
            unlink(up_path);
        }
    }
    if (rc == SW_ECONFLICT) {
        sw_err_hint(err,
                    "shardwave never overwrites a migration; run 'shardwave sum %s' if "
                    "the directory holds unrecorded files",
                    dir);
    }
    free(up_path);
    free(down_path);
    sw_strbuf_cleanup(&up);
    sw_strbuf_cleanup(&down);
    return rc;
}

static int author_new_args(int argc, char **argv, struct cli_args *a, struct sw_err *err)
{
    int rc = cli_args_parse(
        argc, argv, CLI_OPT_MASK(CLI_OPT_ENGINE) | CLI_OPT_MASK(CLI_OPT_TIMESTAMP), 2, a, err);
    if (rc != 0 || a->help) {
        return rc;
    }
    if (a->n_pos != 2) {
        sw_err_set(err, SW_EINVAL, "new: expected DIR and \"description\"");
        sw_err_hint(err, "e.g. shardwave new db/migrations \"add user status column\"");
        return SW_EINVAL;
    }
    enum migset_engine e;
    if (a->engine != NULL && migset_engine_parse(a->engine, strlen(a->engine), &e) != 0) {
        sw_err_set(err, SW_EINVAL, "new: unknown engine '%s' (expected pg, mysql or sqlite)",
                   a->engine);
        return SW_EINVAL;
    }
    return 0;
}

int cmd_author_load(const char *dir, struct migset **set, struct sw_err *err)
{
    int rc = migset_load(dir, NULL, set, err);
    if (rc == SW_ECHECKSUM) {
        sw_err_hint(err,
                    "fix the file first; if it was never applied anywhere, record "
                    "the edit with 'shardwave sum %s'",
                    dir);
    }
    return rc;
}

static int author_new_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_args a;
    struct migset *set = NULL;
    char slug[MIGSET_DESCRIPTION_MAX + 1];
    char version[VERSION_TEXT_MAX];
    struct author_names names;
    if (cmd_generate_wanted(argc, argv)) {
        return cmd_generate_run(argc, argv, err);
    }
    int rc = author_new_args(argc, argv, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_author_new);
    }
    const char *dir = a.pos[0];
    const char *desc = a.pos[1];
    if ((rc = author_slug(desc, slug, sizeof slug, err)) != 0 ||
        (rc = cmd_author_mkdirs(dir, err)) != 0) {
        goto out;
    }
    if ((rc = cmd_author_load(dir, &set, err)) != 0) {
        goto out;
    }
    snprintf(version, sizeof version, "%llu",
             (unsigned long long)cmd_author_next_major(set, a.timestamp));
    author_make_names(version, slug, a.engine, &names);
    if ((rc = author_write_pair(dir, desc, version, &names, err)) != 0 ||
        (rc = manifest_write_for_dir(dir, err)) != 0) {
        goto out;
    }
    if (!a.quiet) {
        printf("%s/%s\n%s/%s\n", dir, names.up, dir, names.down);
    }
out:
    migset_free(set);
    return rc;
}

/* Reads dir/shardwave.sum if present (an empty manifest otherwise). */
static int author_read_manifest(const char *path, struct manifest *m, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = sw_file_read(path, MANIFEST_MAX_BYTES, &text, &len, err);
    if (rc == SW_ENOTFOUND) {
        sw_err_clear(err);
        return 0;
    }
    if (rc == 0) {
        rc = manifest_parse(text, len, m, err);
    }
    free(text);
    return rc;
}

/* Prints added/removed/changed entries; returns how many differ. */
static size_t author_diff(const struct manifest *old, const struct manifest *cur, bool quiet)
{
    size_t n_diff = 0;
    for (size_t i = 0; i < cur->n_entries; i++) {
        const struct manifest_entry *o = manifest_find(old, cur->entries[i].name);
        const char *what = o == NULL ? "added" : NULL;
        if (o != NULL && strcmp(o->checksum, cur->entries[i].checksum) != 0) {
            what = "changed";
        }
        if (what != NULL) {
            n_diff++;
            if (!quiet) {
                printf("%-8s %s\n", what, cur->entries[i].name);
            }
        }
    }
    for (size_t i = 0; i < old->n_entries; i++) {
        if (manifest_find(cur, old->entries[i].name) == NULL) {
            n_diff++;
            if (!quiet) {
                printf("%-8s %s\n", "removed", old->entries[i].name);
            }
        }
    }
    return n_diff;
}

static int author_sum_write(const char *dir, const char *path, struct sw_err *err, bool quiet)
{
    struct migset *set = NULL;
    struct manifest old = {0}, cur = {0};
    char *text = NULL;
    struct migset_load_opts lo = {.skip_manifest = true};
    int rc = author_read_manifest(path, &old, err);
    if (rc != 0 || (rc = migset_load(dir, &lo, &set, err)) != 0 ||
        (rc = manifest_render(set, &text, err)) != 0 ||
        (rc = manifest_parse(text, strlen(text), &cur, err)) != 0) {
        goto out;
    }
    size_t n_diff = author_diff(&old, &cur, quiet);
    if (n_diff == 0 && access(path, F_OK) == 0) {
        if (!quiet) {
            printf("%s is up to date (%zu files)\n", path, cur.n_entries);
        }
        goto out;
    }
    if ((rc = sw_file_write_atomic(path, text, strlen(text), err)) != 0) {
        goto out;
    }
    if (!quiet) {
        printf("wrote %s (%zu files, %zu changed)\n", path, cur.n_entries, n_diff);
    }
out:
    manifest_cleanup(&old);
    manifest_cleanup(&cur);
    free(text);
    migset_free(set);
    return rc;
}

static int author_sum_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_args a;
    int rc = cli_args_parse(argc, argv, 0, 1, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_author_sum);
    }
    if (a.n_pos != 1) {
        sw_err_set(err, SW_EINVAL, "sum: expected the migration directory");
        sw_err_hint(err, "e.g. shardwave sum db/migrations");
        return SW_EINVAL;
    }
    char *path = sw_path_join(a.pos[0], MANIFEST_FILE_NAME);
    if (path == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    rc = author_sum_write(a.pos[0], path, err, a.quiet);
    free(path);
    return rc;
}

const struct cli_command cmd_author_new = {
    .name = "new",
    .summary = "write the next migration's V and U files and update shardwave.sum",
    .help = author_new_help,
    .run = author_new_run,
};

const struct cli_command cmd_author_sum = {
    .name = "sum",
    .summary = "rewrite shardwave.sum after editing never-applied files",
    .help = author_sum_help,
    .run = author_sum_run,
};
