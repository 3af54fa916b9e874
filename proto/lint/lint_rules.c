/*
 * The rule catalogue: one row per rule with its class, its severity and, per engine,
 * why it hurts and the safe way. docs/safe-migrations.md follows this order.
 */
#include <stddef.h>
#include <string.h>

#include "lint_impl.h"

#define PG     MIGSET_ENGINE_PG
#define MYSQL  MIGSET_ENGINE_MYSQL
#define SQLITE MIGSET_ENGINE_SQLITE

#define EXPAND_CONTRACT                                                                            \
    "expand/contract: stop using it in the application and deploy that first; then drop it in "    \
    "a later migration acknowledged with '-- shardwave: destructive-ok <reason>'"

#define DROP_TABLE_WHY                                                                             \
    "the data is gone and the application version still running during the wave fails on every "   \
    "query that names the table"
#define DROP_COLUMN_WHY                                                                            \
    "the data is gone and queries of the running application that name the column fail "           \
    "(SELECT *-mapped code breaks too)"

#define RENAME_WHY                                                                                 \
    "the application version still running during the wave uses the old name; its queries fail "   \
    "on every shard the wave has reached"
#define RENAME_SAFE                                                                                \
    "expand/contract: add the new name beside the old one, keep both in sync (a trigger) and "     \
    "backfill, deploy the application on the new name, then drop the old one in a later "          \
    "migration (shardwave new --rename-...)"

static const struct lint_rule lint_rules[] = {
    {"drop-table",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "drops a table",
     {[PG] = DROP_TABLE_WHY, [MYSQL] = DROP_TABLE_WHY, [SQLITE] = DROP_TABLE_WHY},
     {[PG] = EXPAND_CONTRACT, [MYSQL] = EXPAND_CONTRACT, [SQLITE] = EXPAND_CONTRACT}},
    {"drop-column",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "drops a column",
     {[PG] = DROP_COLUMN_WHY, [MYSQL] = DROP_COLUMN_WHY, [SQLITE] = DROP_COLUMN_WHY},
     {[PG] = EXPAND_CONTRACT, [MYSQL] = EXPAND_CONTRACT, [SQLITE] = EXPAND_CONTRACT}},
    {"drop-schema",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "drops a schema or database",
     {[PG] = "every object in the schema and its data is gone (with CASCADE, silently)",
      [MYSQL] = "every table in the database and its data is gone"},
     {[PG] = EXPAND_CONTRACT, [MYSQL] = EXPAND_CONTRACT}},
    {"rename-table",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "renames a table",
     {[PG] = RENAME_WHY, [MYSQL] = RENAME_WHY, [SQLITE] = RENAME_WHY},
     {[PG] = "expand/contract: create the new table (or an updatable view under the new name), "
             "keep both in sync, move the application, then drop the old name in a later "
             "migration (shardwave new --rename-table)",
      [MYSQL] = "expand/contract: create the new table, keep both in sync with triggers, move the "
                "application, then drop the old one in a later migration "
                "(shardwave new --rename-table)",
      [SQLITE] = "create the new table, copy, move the application, then drop the old one in a "
                 "later migration"}},
    {"rename-column",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "renames a column",
     {[PG] = RENAME_WHY, [MYSQL] = RENAME_WHY, [SQLITE] = RENAME_WHY},
     {[PG] = RENAME_SAFE, [MYSQL] = RENAME_SAFE, [SQLITE] = RENAME_SAFE}},
    {"change-column-type",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "changes a column's type",
     {[PG] = "most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock: "
             "every read and write waits for the whole rewrite; the running application may not "
             "handle the new type",
      [MYSQL] = "MODIFY/CHANGE redefines the column; a type change copies the table "
                "(ALGORITHM=COPY) and blocks writes for the whole copy, and may truncate data"},
     {[PG] = "expand/contract: add a column of the new type, keep it in sync (trigger) and "
             "backfill in batches, switch the application, then drop the old column; "
             "changes to text or unbounded varchar do not rewrite and may be acknowledged with "
             "'-- shardwave: allow change-column-type <reason>'",
      [MYSQL] = "expand/contract with a new column; or, when the change can be done in place, "
                "state ALGORITHM=INPLACE, LOCK=NONE (or ALGORITHM=INSTANT) so the server refuses "
                "instead of copying"}},
    {"set-not-null",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "makes an existing column NOT NULL",
     {[PG] = "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
      [MYSQL] = "MODIFY ... NOT NULL rebuilds the table and may copy it under a lock"},
     {[PG] = "add CHECK (col IS NOT NULL) NOT VALID; in a later step VALIDATE CONSTRAINT (no "
             "write lock), then SET NOT NULL (PostgreSQL 12+ uses the valid constraint and "
             "skips the scan) and drop the CHECK",
      [MYSQL] = "state ALGORITHM=INPLACE, LOCK=NONE so the rebuild stays online (or the server "
                "refuses); backfill NULLs first"}},
    {"add-not-null-column",
     LINT_CLASS_ADDITIVE,
     LINT_SEVERITY_ERROR,
     "adds a NOT NULL column without a default",
     {[PG] = "fails on every shard whose table has rows; where it succeeds, the running "
             "application's INSERTs that do not name the column fail",
      [MYSQL] = "existing rows get the type's implicit default (0, ''), and the running "
                "application's INSERTs that do not name the column fail in strict mode",
      [SQLITE] = "SQLite refuses it: \"Cannot add a NOT NULL column with default value NULL\""},
     {[PG] = "add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or add it "
             "nullable, backfill, then add NOT NULL the safe way (set-not-null)",
      [MYSQL] = "add it with a constant DEFAULT, or nullable, backfill, then make it NOT NULL",
      [SQLITE] = "add it with a constant DEFAULT, or nullable"}},
    {"add-column-volatile-default",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "adds a column whose default is volatile or generated",
     {[PG] = "a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), "
             "serial, identity, stored generated columns) is evaluated per row: the table is "
             "rewritten under an ACCESS EXCLUSIVE lock (now() and other stable defaults are not)",
      [MYSQL] = "a non-constant default (UUID(), RAND(), NOW(), an expression) is computed per "
                "row in a table copy that blocks writes",
      [SQLITE] = "SQLite refuses it: \"Cannot add a column with non-constant default\""},
     {[PG] = "add the column without a default (or with a constant one), set the default in a "
             "second statement (applies to new rows only), backfill old rows in batches",
      [MYSQL] = "add the column nullable or with a constant default (ALGORITHM=INSTANT), set the "
                "default afterwards and backfill in batches",
      [SQLITE] = "add the column with a constant default or nullable, then backfill"}},
    {"create-index-blocking",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "builds an index while blocking writes",
     {[PG] = "CREATE INDEX without CONCURRENTLY holds a SHARE lock for the whole build: every "
             "INSERT, UPDATE and DELETE on the table waits",
      [MYSQL] = "without LOCK=NONE the server may build the index with a shared lock or by "
                "copying the table (FULLTEXT and SPATIAL always block writes)"},
     {[PG] = "CREATE INDEX CONCURRENTLY in its own file with '-- shardwave: no-transaction'; if "
             "it fails, DROP INDEX CONCURRENTLY the invalid index before retrying",
      [MYSQL] = "add ALGORITHM=INPLACE, LOCK=NONE so the build stays online or the server "
                "refuses"}},
    {"drop-index-blocking",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "drops an index while blocking the table",
     {[PG] = "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table; it queues behind long "
             "queries and every query queues behind it"},
     {[PG] = "DROP INDEX CONCURRENTLY in its own file with '-- shardwave: no-transaction'"}},
    {"concurrently-in-transaction",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "uses CONCURRENTLY inside a transaction",
     {[PG] = "CREATE/DROP/REINDEX ... CONCURRENTLY cannot run inside a transaction block: the "
             "step fails on every shard"},
     {[PG] = "put the statement alone in a file whose first line is "
             "'-- shardwave: no-transaction'"}},
    {"add-foreign-key",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "adds a foreign key that is checked at once",
     {[PG] = "the new constraint is checked against every row while both tables are locked "
             "against writes (SHARE ROW EXCLUSIVE)",
      [MYSQL] = "with foreign_key_checks on, adding a foreign key copies the table "
                "(ALGORITHM=COPY) and blocks writes"},
     {[PG] = "ADD CONSTRAINT ... NOT VALID (instant); VALIDATE CONSTRAINT in a later step or a "
             "no-transaction file (it only takes a SHARE UPDATE EXCLUSIVE lock)",
      [MYSQL] = "SET foreign_key_checks = 0 earlier in the file so the key is added in place "
                "(ALGORITHM=INPLACE, LOCK=NONE); existing rows are then not checked, so check "
                "them with a query first"}},
    {"add-check-constraint",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "adds a CHECK constraint that is checked at once",
     {[PG] = "the constraint is checked against every row under an ACCESS EXCLUSIVE lock",
      [MYSQL] = "adding an enforced CHECK constraint copies the table and blocks writes"},
     {[PG] = "ADD CONSTRAINT ... CHECK (...) NOT VALID; VALIDATE CONSTRAINT in a later step or a "
             "no-transaction file",
      [MYSQL] = "add it NOT ENFORCED (MySQL 8.0.16+), check existing rows with a query, and "
                "enforce it in a maintenance window; or enforce the rule in the application"}},
    {"add-unique-constraint",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "adds a unique or primary key constraint that builds its index under a lock",
     {[PG] = "ADD UNIQUE / PRIMARY KEY builds the index under an ACCESS EXCLUSIVE lock: the table "
             "is unreadable for the whole build",
      [MYSQL] = "without LOCK=NONE the unique index may be built with a lock or a table copy"},
     {[PG] = "CREATE UNIQUE INDEX CONCURRENTLY (no-transaction file), then ALTER TABLE ... ADD "
             "CONSTRAINT name UNIQUE USING INDEX idx (or PRIMARY KEY USING INDEX)",
      [MYSQL] = "add ALGORITHM=INPLACE, LOCK=NONE"}},
    {"truncate",
     LINT_CLASS_DESTRUCTIVE,
     LINT_SEVERITY_ERROR,
     "empties a table",
     {[PG] = "every row is gone, and TRUNCATE takes an ACCESS EXCLUSIVE lock",
      [MYSQL] = "every row is gone; TRUNCATE is DDL and cannot be rolled back"},
     {[PG] = "delete the rows the change really needs gone, in batches, or acknowledge with "
             "'-- shardwave: destructive-ok <reason>'",
      [MYSQL] = "delete the rows the change really needs gone, in batches, or acknowledge with "
                "'-- shardwave: destructive-ok <reason>'"}},
    {"vacuum-full",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "rewrites a whole table or database",
     {[PG] = "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock; reads and writes "
             "wait for the whole rewrite (and it cannot run in a transaction)",
      [SQLITE] = "VACUUM rewrites the whole database file holding the write lock (and needs "
                 "as much free disk again)"},
     {[PG] = "plain VACUUM (no lock on reads and writes), or pg_repack outside the migration",
      [SQLITE] = "run VACUUM as maintenance outside migrations (or use auto_vacuum)"}},
    {"cluster",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "reorders a table with CLUSTER",
     {[PG] = "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock"},
     {[PG] = "pg_repack --order-by outside the migration, or leave the order alone"}},
    {"alter-table-copy",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_ERROR,
     "ALTER TABLE that may copy the table or lock it",
     {[MYSQL] = "the server silently falls back to ALGORITHM=COPY (or a shared lock) when it "
                "cannot make the change in place: writes block for the whole copy; some changes "
                "(CONVERT TO CHARACTER SET, DROP PRIMARY KEY, ENGINE=, FORCE, partitioning) "
                "always copy"},
     {[MYSQL] = "state the algorithm: ALGORITHM=INSTANT, or ALGORITHM=INPLACE, LOCK=NONE; the "
                "server then refuses a change it cannot make online instead of copying; "
                "changes that always copy need expand/contract (a new table, backfill, switch)"}},
    {"table-rebuild",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_WARNING,
     "rebuilds a table (create, copy, drop, rename)",
     {[SQLITE] = "the copy holds the database's write lock for its whole duration, and the "
                 "running application sees the table vanish and reappear"},
     {[SQLITE] = "keep the rebuild in one file (one transaction), with PRAGMA foreign_keys off "
                 "and foreign_key_check after it; acknowledge with "
                 "'-- shardwave: allow table-rebuild <reason>'"}},
    {"unparsed-statement",
     LINT_CLASS_LOCKING,
     LINT_SEVERITY_WARNING,
     "a statement the PostgreSQL parser cannot read",
     {[PG] = "shardwave cannot see what it does (a syntax error, or syntax newer than "
             "PostgreSQL 15): it may lock or destroy"},
     {[PG] = "fix the syntax error; if the server accepts it, review it by hand and acknowledge "
             "with '-- shardwave: allow unparsed-statement <reason>'"}},
};

#define LINT_N_RULES (sizeof lint_rules / sizeof lint_rules[0])

size_t lint_rule_count(void)
{
    return LINT_N_RULES;
}

const struct lint_rule *lint_rule_at(size_t idx)
{
    return idx < LINT_N_RULES ? &lint_rules[idx] : NULL;
}

const struct lint_rule *lint_rule_find(const char *id)
{
    for (size_t i = 0; i < LINT_N_RULES; i++) {
        if (strcmp(lint_rules[i].id, id) == 0) {
            return &lint_rules[i];
        }
    }
    return NULL;
}

const char *lint_class_name(enum lint_class c)
{
    switch (c) {
    case LINT_CLASS_ADDITIVE:
        return "additive";
    case LINT_CLASS_LOCKING:
        return "locking";
    case LINT_CLASS_DESTRUCTIVE:
        return "destructive";
    case LINT_CLASS_COUNT:
        break;
    }
    return "unknown";
}

const char *lint_severity_name(enum lint_severity s)
{
    switch (s) {
    case LINT_SEVERITY_INFO:
        return "info";
    case LINT_SEVERITY_WARNING:
        return "warning";
    case LINT_SEVERITY_ERROR:
        return "error";
    case LINT_SEVERITY_COUNT:
        break;
    }
    return "unknown";
}
