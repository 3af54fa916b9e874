# shellcheck shell=bash
# Helpers for the coordinator-command tests (tests/integration/cli_remote_*.sh): a real
# shardwave-coordinator on a free 127.0.0.1 port with a temp store, fleet file, tokens
# file and migration set. Sourced, not run; builds on cli_lib.sh (cli_run, cli_expect,
# assert_*).
#
#   rc_write_fleet N [SKIP_ID]   fleet file with shards t-001..t-N (sqlite; t-001 is the
#                                canary; hosts db-1..db-4; regions eu/us), minus SKIP_ID
#   rc_start                     starts the coordinator; sets RC_URL, RC_PID and exports
#                                SHARDWAVE_COORDINATOR and SHARDWAVE_TOKEN_FILE (operator).
#                                With RC_TLS_CERT/RC_TLS_KEY set it serves https.
#   rc_stop                      SIGTERM to RC_PID and wait (also on exit)
#   rc_json FILTER               jq FILTER over $CLI_OUT (-r)
#   rc_wave_state ID             the wave's state via the CLI (--json)
#
# Tokens: $RC_TOKENS/operator (name ops-oncall), $RC_TOKENS/read (viewer), $RC_TOKENS/agent
# (agent-1), $RC_TOKENS/wrong (unknown to the coordinator).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"
# shellcheck source=tests/lib/servers.sh
source "$here/../lib/servers.sh"
CLI_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh) # the test script, not this library

COORDINATOR="$SW_BIN_DIR/shardwave-coordinator"
[[ -x $COORDINATOR ]] || cli_fail "$COORDINATOR is not built"
command -v jq >/dev/null || cli_fail "jq is required"

RC_DIR="$CLI_TMP/coord"
RC_TOKENS="$CLI_TMP/tokens"
RC_SET="$CLI_TMP/migrations"
RC_URL=""
RC_PID=""
RC_TLS_CERT=""
RC_TLS_KEY=""
mkdir -p "$RC_DIR" "$RC_TOKENS" "$RC_SET"

rc_stop()
{
    if [[ -n $RC_PID ]]; then
        kill -TERM "$RC_PID" 2>/dev/null || true
        wait "$RC_PID" 2>/dev/null || true
        RC_PID=""
    fi
}
CLI_CLEANUPS+=("rc_stop")

rc_write_tokens()
{
    local role name secret
    : >"$RC_DIR/tokens"
    chmod 600 "$RC_DIR/tokens"
    for spec in operator:ops-oncall read:viewer agent:agent-1; do
        role=${spec%%:*}
        name=${spec#*:}
        secret="$role-$(sw_random_hex 32)"
        printf '%s %s %s\n' "$role" "$name" "$secret" >>"$RC_DIR/tokens"
        printf '%s\n' "$secret" >"$RC_TOKENS/$role"
    done
    printf 'wrong-%s\n' "$(sw_random_hex 32)" >"$RC_TOKENS/wrong"
    chmod 600 "$RC_TOKENS"/*
}

rc_write_fleet()
{
    local n=$1 skip=${2:-} i id region host tier
    {
        echo "shards = ("
        for ((i = 1; i <= n; i++)); do
            printf -v id 't-%03d' "$i"
            [[ $id == "$skip" ]] && continue
            region=$([[ $((i % 2)) == 0 ]] && echo us || echo eu)
            host="db-$(((i - 1) % 4 + 1))"
            tier=$([[ $i == 1 ]] && echo canary || echo main)
            printf '  { id = "%s"; engine = "sqlite"; pool = "local"; labels = { tier = "%s"; region = "%s"; host = "%s"; }; },\n' \
                "$id" "$tier" "$region" "$host"
        done
        echo ");"
    } >"$RC_DIR/fleet.conf"
    # libconfig lists take no trailing comma
    sed -i -z 's/},\n);/}\n);/' "$RC_DIR/fleet.conf"
}

rc_write_set()
{
    printf 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n' \
        >"$RC_SET/V1__create_users.sql"
    printf 'DROP TABLE users;\n' >"$RC_SET/U1__create_users.sql"
    printf 'ALTER TABLE users ADD COLUMN status TEXT;\n' >"$RC_SET/V2__add_user_status.sql"
    printf 'ALTER TABLE users DROP COLUMN status;\n' >"$RC_SET/U2__add_user_status.sql"
    "$SHARDWAVE" sum "$RC_SET" >/dev/null
}

rc_start()
{
    local port attempt
    for attempt in 1 2 3; do
        port=$(sw_free_port) || cli_fail "no free port"
        cat >"$RC_DIR/coordinator.conf" <<CONF
listen = "127.0.0.1:$port";
store_path = "$RC_DIR/store.db";
fleet_file = "$RC_DIR/fleet.conf";
tokens_file = "$RC_DIR/tokens";
tick_ms = 100;
log_level = "info";
CONF
        local scheme=http
        if [[ -n $RC_TLS_CERT ]]; then
            scheme=https
            printf 'tls_cert_file = "%s";\ntls_key_file = "%s";\n' "$RC_TLS_CERT" "$RC_TLS_KEY" \
                >>"$RC_DIR/coordinator.conf"
        fi
        "$COORDINATOR" --config "$RC_DIR/coordinator.conf" >>"$RC_DIR/coordinator.log" 2>&1 &
        RC_PID=$!
        RC_URL="$scheme://127.0.0.1:$port"
        if sw_poll 30 rc_healthy; then
            export SHARDWAVE_COORDINATOR=$RC_URL
            export SHARDWAVE_TOKEN_FILE=$RC_TOKENS/operator
            return 0
        fi
        cli_log "coordinator did not come up on port $port (attempt $attempt)"
        rc_stop
    done
    cat "$RC_DIR/coordinator.log" >&2
    cli_fail "cannot start the coordinator"
}

rc_healthy()
{
    kill -0 "$RC_PID" 2>/dev/null || return 1
    local -a ca=()
    [[ -z $RC_TLS_CERT ]] || ca=(--cacert "$RC_TLS_CERT")
    curl -fsS -m 2 "${ca[@]}" "$RC_URL/healthz" >/dev/null 2>&1
}

rc_json()
{
    jq -r "$1" <<<"$CLI_OUT"
}

rc_wave_state()
{
    "$SHARDWAVE" wave status "$1" --json | jq -r .state
}

rc_wave_is()
{
    [[ $(rc_wave_state "$1") == "$2" ]]
}

rc_write_tokens
rc_write_set
