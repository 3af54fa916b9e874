# shellcheck shell=bash disable=SC2154
# deploy/quickstart.sh --local: the single-database demo, sourced by quickstart.sh (it
# provides shardwave, workdir, engine_list, start_servers, pg_admin, my_admin and the
# cleanup trap). On each engine of --engines: info, migrate the migration set, info,
# undo to version 6, migrate again, and migrate once more (nothing to do).

# Prints the command (password-free: shardwave redacts DSNs itself), then runs it.
local_run()
{
    printf '$ shardwave'
    printf ' %q' "$@" | sed -E 's#(://[^:/@ ]*):[^@ ]*@#\1:***@#g'
    printf '\n'
    "$shardwave" "$@"
}

local_demo_one() # title dsn
{
    say "local demo on $1"
    local_run info --dsn "$2" --dir "$migrations"
    echo
    local_run migrate --dsn "$2" --dir "$migrations"
    echo
    local_run info --dsn "$2" --dir "$migrations"
    echo
    local_run undo --dsn "$2" --dir "$migrations" --to 6
    echo
    local_run migrate --dsn "$2" --dir "$migrations"
    echo
    local_run migrate --dsn "$2" --dir "$migrations"
}

local_demo_db="shardwave_demo"
for e in "${engine_list[@]}"; do
    case $e in
    sqlite)
        local_demo_one "SQLite ($workdir/demo.db)" "sqlite://$workdir/demo.db"
        ;;
    pg)
        [[ -n $pg_dsn ]] || start_servers
        ((external_servers)) && local_demo_db="qs$(openssl rand -hex 3)_demo"
        pg_admin "CREATE DATABASE \"$local_demo_db\""
        ((external_servers)) && qs_dbs_pg+=("$local_demo_db")
        local_demo_one "PostgreSQL" "${pg_dsn%/*}/$local_demo_db"
        ;;
    mysql)
        [[ -n $my_dsn ]] || start_servers
        ((external_servers)) && local_demo_db="qs$(openssl rand -hex 3)_demo"
        my_admin "CREATE DATABASE \`$local_demo_db\`"
        ((external_servers)) && qs_dbs_my+=("$local_demo_db")
        local_demo_one "MariaDB" "${my_dsn%/}/$local_demo_db"
        ;;
    esac
done

say "done"
echo "The demo migrated one database at a time with the local 'shardwave' command."
echo "Without --local, deploy/quickstart.sh runs a canary wave on a whole demo fleet."
echo "Try: $shardwave --help"
