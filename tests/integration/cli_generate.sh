#!/usr/bin/env bash
# The expand/contract generator (`shardwave new DIR --rename-column|--rename-table|
# --add-not-null-column`): usage errors; a column rename applied on PostgreSQL and MariaDB
# while one writer keeps using the old column name and another the new one (every write
# succeeds, both columns agree), the contract once the old-name writer stopped, and undo
# back to the start; the same rename and a table rename on SQLite; add-not-null-column
# ending NOT NULL on both servers.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"

WRITER_MAX=5000   # writes per writer at most
WRITER_SECONDS=90 # and seconds
POLL_SECONDS=60   # deadline of every wait below

# ---- usage ---------------------------------------------------------------------------
u="$CLI_TMP/usage"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column users.name:full_name
assert_eq "$CLI_ERR" "shardwave: new: --rename-column needs --type TYPE"$'\n'"hint: give the type of the column being renamed, e.g. --type \"varchar(100)\": the new column gets the same type" \
    "rename-column without --type"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column users.name-x:full_name --type text
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --rename-column: 'name-x' is not a plain identifier" \
    "identifier with a dash"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column 'users.name:full name;drop' --type text
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --rename-column: 'full name;drop' is not a plain identifier" \
    "identifier with SQL in it"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column users.name --type text
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --rename-column: expected TABLE.OLD:NEW, got 'users.name'" \
    "rename-column without NEW"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column public.users.name:x --type text
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --rename-column: expected TABLE.OLD:NEW, got 'public.users.name:x'" \
    "schema-qualified table"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column users.name:name --type text
assert_eq "$CLI_ERR" "shardwave: new: --rename-column: the new name 'name' is the old one" "same name"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-column users.name:full_name --type "text; drop table users"
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --rename-column: type 'text; drop table users' is not a plain SQL type" \
    "type with SQL in it"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-table a:b --type text
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --type does not apply to --rename-table" "--type on rename-table"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-table a:b --rename-column a.b:c
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: use one of --rename-column, --rename-table and --add-not-null-column at a time" \
    "two recipes"
cli_expect 2 "$SHARDWAVE" new "$u" --add-not-null-column users.status text
assert_contains "$CLI_ERR" "new: --add-not-null-column: expected DIR TABLE.COL TYPE DEFAULT" "default missing"
cli_expect 2 "$SHARDWAVE" new "$u" --add-not-null-column users.status text "now()"
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --add-not-null-column: default 'now()' is not a literal" \
    "expression default"
cli_expect 2 "$SHARDWAVE" new "$u" --add-not-null-column users.status text "'it\\'s'"
assert_contains "$CLI_ERR" "default ''it\\'s'' is not a literal" "backslash in a string default"
cli_expect 2 "$SHARDWAVE" new "$u" --add-not-null-column users.status text NULL
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: --add-not-null-column: the default must not be NULL" \
    "NULL default"
cli_expect 2 "$SHARDWAVE" new "$u" --add-not-null-column users.status text 1 --batch-size 0
assert_contains "$CLI_ERR" "--batch-size" "batch size range"
cli_expect 2 "$SHARDWAVE" new "$u" --rename-table a:b --engine oracle
assert_eq "$CLI_ERR" "shardwave: new: unknown engine 'oracle' (expected pg, mysql or sqlite)" "unknown engine"
[[ ! -e $u ]] || [[ -z $(ls -A "$u") ]] || cli_fail "usage errors write no files"

# --engine writes one engine's files; names are derived, long ones cut and hashed.
cli_expect 0 "$SHARDWAVE" new "$u" --rename-table customer:customers --engine pg
assert_eq "$CLI_OUT" "$u/V1__expand_rename_table_customer_to_customers.pg.sql
$u/U1__expand_rename_table_customer_to_customers.pg.sql
$u/V2__contract_rename_table_customer_to_customers.pg.sql
$u/U2__contract_rename_table_customer_to_customers.pg.sql" "rename-table files"
assert_contains "$(head -n2 "$u/V2__contract_rename_table_customer_to_customers.pg.sql")" \
    "-- shardwave: contract-of 1" "contract-of the expand version"
long_table=t_$(printf 'a%.0s' {1..40})
long_col=c_$(printf 'b%.0s' {1..30})
cli_expect 0 "$SHARDWAVE" new "$u" --rename-column "$long_table.$long_col:n" --type int --engine pg
v3=$(grep '/V5__' <<<"$CLI_OUT")
fn=$(grep -o 'CREATE FUNCTION [a-z0-9_]*' "$(grep '/V3__' <<<"$CLI_OUT")" | cut -d' ' -f3)
assert_eq "${#fn}" 63 "long function name cut to 63 characters"
assert_contains "$(cat "$v3")" "DROP FUNCTION $fn();" "the contract drops the same function"
assert_contains "$(cat "$v3")" "-- shardwave: contract-of 4" "contract-of the backfill version"
# Never overwrite: a squatter on one of the names leaves nothing behind.
mkdir "$u/V7__backfill_users_full_name.pg.sql"
cli_expect 4 "$SHARDWAVE" new "$u" --rename-column users.name:full_name --type text --engine pg
[[ ! -e $u/V6__expand_rename_users_name_to_full_name.pg.sql ]] || cli_fail "no partial recipe"
rmdir "$u/V7__backfill_users_full_name.pg.sql"
cli_expect 0 "$SHARDWAVE" validate --dir "$u"
assert_eq "$CLI_OUT" "$u: 5 migrations, latest version 5, no problems" "generated files and shardwave.sum validate"

# Every recipe passes the linter (destructive steps acknowledged) and round-trips with
# `shardwave test` on scratch PostgreSQL and MariaDB databases (the contract's down adds the
# old column back at the end of the table: a column-order warning, not a failure).
rt="$CLI_TMP/roundtrip"
mkdir -p "$rt"
cli_write "$rt" V1__create_users.sql "CREATE TABLE users (id integer PRIMARY KEY, name varchar(100));"
cli_write "$rt" U1__create_users.sql "DROP TABLE users;"
cli_expect 0 "$SHARDWAVE" sum "$rt"
cli_expect 0 "$SHARDWAVE" new "$rt" --rename-column users.name:full_name --type "varchar(100)"
cli_expect 0 "$SHARDWAVE" new "$rt" --rename-table users:people
cli_expect 0 "$SHARDWAVE" new "$rt" --add-not-null-column people.status "varchar(20)" "'active'"
cli_expect 0 "$SHARDWAVE" lint --dir "$rt"
assert_contains "$CLI_OUT" "0 errors, 0 warnings" "generated recipes are lint-clean"
for engine in pg mysql; do
    cli_create_db "$engine"
    cli_expect 0 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$rt"
    assert_contains "$CLI_OUT" "9 tested: 9 round-trip, 0 not restored, 0 without a down" \
        "every generated step round-trips on $engine"
done

# ---- concurrent writers ----------------------------------------------------------------
# writer NAME COLUMN: inserts a row and updates one of the first 50 through COLUMN until
# $CLI_TMP/stop.NAME exists (or the limits); one line per write in ok.NAME / fail.NAME.
writer()
{
    local name=$1 col=$2 i=0 end=$((SECONDS + WRITER_SECONDS))
    while ((i < WRITER_MAX && SECONDS < end)) && [[ ! -e $CLI_TMP/stop.$name ]]; do
        local sql="INSERT INTO users ($col) VALUES ('$name-$i');
                   UPDATE users SET $col = '$name-u$i' WHERE id = $((i % 50 + 1));"
        if cli_sql "$sql" >/dev/null 2>>"$CLI_TMP/err.$name"; then
            echo "$i" >>"$CLI_TMP/ok.$name"
        else
            echo "$i" >>"$CLI_TMP/fail.$name"
        fi
        i=$((i + 1))
    done
}

writes() # NAME -> number of successful writes so far
{
    if [[ -e $CLI_TMP/ok.$1 ]]; then wc -l <"$CLI_TMP/ok.$1"; else echo 0; fi
}

wait_writes() # NAME N: until NAME has N successful writes
{
    local end=$((SECONDS + POLL_SECONDS))
    while (($(writes "$1") < $2)); do
        ((SECONDS < end)) || cli_fail "writer $1: fewer than $2 writes after ${POLL_SECONDS}s"
        [[ ! -s $CLI_TMP/fail.$1 ]] || cli_fail "writer $1 failed: $(cat "$CLI_TMP/err.$1")"
        sleep 0.05
    done
}

start_writer() # NAME COLUMN; sets WRITER_PID_<NAME>
{
    rm -f "$CLI_TMP/stop.$1" "$CLI_TMP/ok.$1" "$CLI_TMP/fail.$1" "$CLI_TMP/err.$1"
    writer "$1" "$2" &
    printf -v "WRITER_PID_$1" '%s' "$!"
    CLI_CLEANUPS+=("touch '$CLI_TMP/stop.$1'; wait $!")
}

stop_writer() # NAME: stops it and checks that every write succeeded
{
    local pid_var="WRITER_PID_$1"
    touch "$CLI_TMP/stop.$1"
    wait "${!pid_var}"
    [[ ! -s $CLI_TMP/fail.$1 ]] ||
        cli_fail "writer $1: $(wc -l <"$CLI_TMP/fail.$1") writes failed: $(head -c 600 "$CLI_TMP/err.$1")"
}

disagreeing() # rows where name and full_name differ
{
    case $CLI_ENGINE in
    pg) cli_sql "SELECT count(*) FROM users WHERE name IS DISTINCT FROM full_name" ;;
    mysql) cli_sql "SELECT count(*) FROM users WHERE NOT (CAST(name AS BINARY) <=> CAST(full_name AS BINARY))" ;;
    esac
}

# The rename of users.name to users.full_name on a real server with writers on both names.
rename_under_writers()
{
    local engine=$1 d="$CLI_TMP/rename_$1"
    cli_create_db "$engine"
    case $engine in
    pg) cli_sql "CREATE TABLE users (id serial PRIMARY KEY, name varchar(100));
                 INSERT INTO users (name) SELECT 'seed-' || g FROM generate_series(1, 20000) g" ;;
    mysql) cli_sql "CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, name varchar(100));
                    INSERT INTO users (name) SELECT concat('seed-', seq) FROM seq_1_to_20000" ;;
    esac
    cli_expect 0 "$SHARDWAVE" new "$d" --rename-column users.name:full_name --type "varchar(100)" \
        --batch-size 500
    cli_log "$engine: expand and backfill while a writer uses the old name"
    start_writer old name
    wait_writes old 10
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d" --target 2
    assert_contains "$CLI_OUT" "migrated from 0 to 2 (2 steps" "$engine: expand and backfill applied"
    local old_after_expand
    old_after_expand=$(writes old)
    cli_log "$engine: a second writer uses the new name"
    start_writer new full_name
    wait_writes new 20
    wait_writes old $((old_after_expand + 20))
    stop_writer old
    assert_eq "$(disagreeing)" 0 "$engine: name and full_name agree on every row"
    # One statement each, so the still running writer cannot skew them.
    [[ $(cli_sql "SELECT count(*) FROM users WHERE name LIKE 'new-%' AND name = full_name") -gt 0 ]] ||
        cli_fail "$engine: rows written through full_name have name"
    [[ $(cli_sql "SELECT count(*) FROM users WHERE full_name LIKE 'old-%' AND name = full_name") -gt 0 ]] ||
        cli_fail "$engine: rows written through name have full_name"
    cli_log "$engine: contract while the new-name writer goes on"
    local new_before
    new_before=$(writes new)
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d"
    assert_contains "$CLI_OUT" "migrated from 2 to 3 (1 step" "$engine: contract applied"
    wait_writes new $((new_before + 20))
    stop_writer new
    assert_eq "$(cli_columns users)" "full_name,id" "$engine: the old column is gone"
    assert_eq "$(cli_sql "SELECT count(*) FROM users WHERE full_name IS NULL")" 0 "$engine: no row lost its value"
    local n_rows
    n_rows=$(cli_sql "SELECT count(*) FROM users")
    assert_eq "$n_rows" $((20000 + $(writes old) + $(writes new))) "$engine: every insert is there"
    cli_log "$engine: undo back to the start"
    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$d" --to 0
    assert_contains "$CLI_OUT" "reverted from 3 to 0 (3 steps" "$engine: undo of the recipe"
    assert_eq "$(cli_columns users)" "id,name" "$engine: the original column is back"
    assert_eq "$(cli_sql "SELECT count(*) FROM users WHERE name IS NULL")" 0 "$engine: undo kept the values"
    # Rows the new-name writer inserted (never updated: updates hit ids 1-50) keep their value.
    assert_eq "$(cli_sql "SELECT count(*) FROM users WHERE name LIKE 'new-%' AND name NOT LIKE 'new-u%'")" \
        "$(writes new)" "$engine: values written through full_name survive the undo"
    assert_eq "$(cli_sql "SELECT count(*) FROM users")" "$n_rows" "$engine: undo kept the rows"
}

rename_under_writers pg
rename_under_writers mysql

# ---- SQLite: the same rename and a table rename, without writers ------------------------
cli_create_db sqlite
d="$CLI_TMP/rename_sqlite"
cli_sql "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO users (name) VALUES ('a'), ('b'), ('c')"
cli_expect 0 "$SHARDWAVE" new "$d" --rename-column users.name:full_name --type TEXT --engine sqlite
cli_expect 0 "$SHARDWAVE" new "$d" --rename-table users:people --engine sqlite
cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d" --target 2
cli_sql "INSERT INTO users (name) VALUES ('old'); INSERT INTO users (full_name) VALUES ('new');
         UPDATE users SET name = 'a2' WHERE id = 1; UPDATE users SET full_name = 'b2' WHERE id = 2"
assert_eq "$(cli_sql "SELECT group_concat(name || '=' || full_name, ' ') FROM users")" \
    "a2=a2 b2=b2 c=c old=old new=new" "sqlite: triggers keep both columns equal"
cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d" --target 4
assert_eq "$(cli_tables)" "people,shardwave_schema_history,users" "sqlite: view people over users"
assert_eq "$(cli_sql "SELECT count(*) FROM people")" 5 "sqlite: the view reads the table"
cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d"
assert_eq "$(cli_tables)" "people,shardwave_schema_history" "sqlite: the table is renamed"
assert_eq "$(cli_columns people)" "full_name,id" "sqlite: old column gone"
cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$d" --to 0
assert_eq "$(cli_tables)" "shardwave_schema_history,users" "sqlite: undo restores the table name"
assert_eq "$(cli_sql "SELECT group_concat(name, ' ') FROM users")" "a2 b2 c old new" "sqlite: undo restores name"

# ---- rename-table and add-not-null-column on the servers --------------------------------
other_recipes()
{
    local engine=$1 d="$CLI_TMP/recipes_$1"
    cli_create_db "$engine"
    case $engine in
    pg) cli_sql "CREATE TABLE customer (id serial PRIMARY KEY, email text);
                 INSERT INTO customer (email) SELECT 'c' || g FROM generate_series(1, 2500) g" ;;
    mysql) cli_sql "CREATE TABLE customer (id int AUTO_INCREMENT PRIMARY KEY, email text);
                    INSERT INTO customer (email) SELECT concat('c', seq) FROM seq_1_to_2500" ;;
    esac
    cli_expect 0 "$SHARDWAVE" new "$d" --add-not-null-column customer.status "varchar(20)" "'active'"
    cli_expect 0 "$SHARDWAVE" new "$d" --rename-table customer:customers
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d" --target 3
    assert_contains "$CLI_OUT" "migrated from 0 to 3 (3 steps" "$engine: add-not-null-column applied"
    assert_eq "$(cli_sql "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'customer'
                          AND column_name = 'status' AND table_schema = $([[ $engine == pg ]] && echo "'public'" || echo 'DATABASE()')")" \
        NO "$engine: status is NOT NULL"
    assert_eq "$(cli_sql "SELECT count(*) FROM customer WHERE status = 'active'")" 2500 "$engine: old rows have the default"
    cli_run cli_sql "INSERT INTO customer (email, status) VALUES ('x', NULL)"
    [[ $CLI_RC != 0 ]] || cli_fail "$engine: NULL status refused"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d" --target 4
    cli_sql "INSERT INTO customers (email) VALUES ('through-view'); UPDATE customers SET status = 'vip' WHERE id = 1"
    assert_eq "$(cli_sql "SELECT count(*) FROM customer WHERE email = 'through-view' AND status = 'active'")" 1 \
        "$engine: insert through the view gets the table's defaults"
    assert_eq "$(cli_sql "SELECT status FROM customer WHERE id = 1")" vip "$engine: update through the view"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d"
    assert_eq "$(cli_tables)" "customers,shardwave_schema_history" "$engine: the table is renamed"
    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$d" --to 4
    assert_eq "$(cli_tables)" "customer,customers,shardwave_schema_history" "$engine: undo of the contract restores the view"
    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$d" --to 0
    assert_eq "$(cli_tables)" "customer,shardwave_schema_history" "$engine: undo back to the start"
    assert_eq "$(cli_columns customer)" "email,id" "$engine: status is gone"
}

other_recipes pg
other_recipes mysql

cli_log "ok"
