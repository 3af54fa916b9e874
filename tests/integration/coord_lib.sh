# shellcheck shell=bash
# Helpers for the coordinator API tests (tests/integration/coord_*.sh). Sourced, not run.
# Each test gets its own temp dir, store, fleet file, tokens file and free 127.0.0.1 port.
#
#   coord_setup [N_SHARDS]  writes tokens, a fleet of N (default 24) sqlite shards (t-001 is
#                           tier=canary; hosts db-1..db-4) and the config; sets COORD_*
#   coord_start             starts the coordinator (pid COORD_PID), waits for /healthz
#   coord_stop              SIGTERM, waits, asserts exit status 0
#   api METHOD PATH [TOKEN] [BODY|@FILE]   curl; sets API_STATUS and API_BODY
#   api_expect STATUS METHOD PATH [TOKEN] [BODY]    api, failing unless the status matches
#   jqr FILTER              jq -r FILTER on API_BODY
#   coord_upload_set DIR    uploads DIR's files as a migration set; sets COORD_DIGEST
#   wait_for WHAT CMD...    polls CMD (every 50 ms) until it succeeds, for up to 20 s
#   assert_eq ACTUAL EXPECTED WHAT / assert_contains TEXT NEEDLE WHAT
set -euo pipefail

COORD_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SW_BIN_DIR=${SW_BIN_DIR:-$SW_SOURCE_DIR/build/bin}
COORD_BIN="$SW_BIN_DIR/shardwave-coordinator"
COORD_TMP=$(mktemp -d "${SW_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sw_${COORD_TEST_NAME}.XXXXXX")
COORD_PID=""
COORD_PORT=""
COORD_LOG="$COORD_TMP/coordinator.log"
API_STATUS=""
API_BODY=""
OP_TOKEN="op-secret-0123456789abcdef"
READ_TOKEN="read-secret-0123456789abcdef"
AGENT_TOKEN="agent-secret-0123456789abcdef"

coord_cleanup()
{
    if [[ -n $COORD_PID ]] && kill -0 "$COORD_PID" 2>/dev/null; then
        kill -KILL "$COORD_PID" 2>/dev/null || true
        wait "$COORD_PID" 2>/dev/null || true
    fi
    rm -rf "$COORD_TMP"
}
trap coord_cleanup EXIT

coord_fail()
{
    printf '%s: FAIL: %s\n' "$COORD_TEST_NAME" "$*" >&2
    if [[ -n $API_STATUS ]]; then
        printf -- '--- last API reply (%s) ---\n%s\n' "$API_STATUS" "$API_BODY" >&2
    fi
    if [[ -f $COORD_LOG ]]; then
        printf -- '--- coordinator log (tail) ---\n' >&2
        tail -n 40 "$COORD_LOG" >&2
    fi
    exit 1
}

coord_log()
{
    printf '%s: %s\n' "$COORD_TEST_NAME" "$*" >&2
}

for tool in curl jq; do
    command -v "$tool" >/dev/null || coord_fail "$tool is required"
done
[[ -x $COORD_BIN ]] || coord_fail "$COORD_BIN is not built"

assert_eq()
{
    [[ $1 == "$2" ]] || coord_fail "$3: expected '$2', got '$1'"
}

assert_contains()
{
    [[ $1 == *"$2"* ]] || coord_fail "$3: '$2' not found in: $1"
}

wait_for()
{
    local what=$1 deadline=$((SECONDS + 20))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || coord_fail "timed out waiting for $what"
        sleep 0.05
    done
}

# A free TCP port on 127.0.0.1 (bash /dev/tcp: the first port nobody answers on).
coord_free_port()
{
    local p
    for ((p = 20000 + RANDOM % 30000; ; p++)); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# coord_fleet N [SKIP_ID]: a fleet file of N sqlite shards t-001..; t-001 is the canary.
coord_write_fleet()
{
    local n=$1 skip=${2:-} i id tier
    {
        echo "shards = ("
        local sep=""
        for ((i = 1; i <= n; i++)); do
            printf -v id 't-%03d' "$i"
            [[ $id == "$skip" ]] && continue
            tier=$([[ $i == 1 ]] && echo canary || echo main)
            printf '%s  { id = "%s"; engine = "sqlite"; pool = "eu"; labels = { tier = "%s"; host = "db-%d"; region = "eu"; }; }\n' \
                "$sep" "$id" "$tier" $((i % 4 + 1))
            sep=","
        done
        echo ");"
    } >"$COORD_TMP/fleet.conf"
}

coord_setup()
{
    local n=${1:-24}
    COORD_PORT=$(coord_free_port)
    cat >"$COORD_TMP/tokens" <<TOKENS
# role name secret
operator ops-oncall $OP_TOKEN
read viewer $READ_TOKEN
agent agent-eu-1 $AGENT_TOKEN
TOKENS
    chmod 600 "$COORD_TMP/tokens"
    coord_write_fleet "$n"
    cat >"$COORD_TMP/coordinator.conf" <<CONF
listen = "127.0.0.1:$COORD_PORT";
store_path = "$COORD_TMP/store.db";
fleet_file = "$COORD_TMP/fleet.conf";
tokens_file = "$COORD_TMP/tokens";
tick_ms = 50;
max_body_bytes = 65536;
log_level = "debug";
CONF
    mkdir -p "$COORD_TMP/set"
    printf 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n' >"$COORD_TMP/set/V1__create_users.sql"
    printf 'DROP TABLE users;\n' >"$COORD_TMP/set/U1__create_users.sql"
    printf 'ALTER TABLE users ADD COLUMN status TEXT;\n' >"$COORD_TMP/set/V2__add_status.sql"
    printf 'ALTER TABLE users DROP COLUMN status;\n' >"$COORD_TMP/set/U2__add_status.sql"
}

coord_healthy()
{
    curl -s -o /dev/null -m 2 "http://127.0.0.1:$COORD_PORT/healthz"
}

# Starts the coordinator and waits for /healthz. Tests run in parallel, so the port chosen
# by coord_free_port can be taken before the coordinator binds it: then the coordinator (and
# any agent configs in COORD_TMP) move to a new port and it starts again.
coord_start()
{
    local attempt old deadline log_from
    for attempt in 1 2 3 4 5; do
        log_from=$(($(stat -c %s "$COORD_LOG" 2>/dev/null || echo 0) + 1))
        "$COORD_BIN" --config "$COORD_TMP/coordinator.conf" >>"$COORD_LOG" 2>&1 &
        COORD_PID=$!
        deadline=$((SECONDS + 20))
        until coord_healthy; do
            if ! kill -0 "$COORD_PID" 2>/dev/null; then
                break
            fi
            ((SECONDS < deadline)) || coord_fail "the coordinator did not answer /healthz"
            sleep 0.05
        done
        kill -0 "$COORD_PID" 2>/dev/null && return 0
        wait "$COORD_PID" 2>/dev/null || true
        tail -c "+$log_from" "$COORD_LOG" | grep -q "cannot listen" ||
            coord_fail "the coordinator exited during startup"
        old=$COORD_PORT
        COORD_PORT=$(coord_free_port)
        coord_log "port $old taken (attempt $attempt): moving to $COORD_PORT"
        sed -i "s/127.0.0.1:$old/127.0.0.1:$COORD_PORT/" "$COORD_TMP/coordinator.conf" \
            "$COORD_TMP"/agent-*.conf 2>/dev/null || true
    done
    coord_fail "the coordinator could not listen on a free port"
}

coord_stop()
{
    kill -TERM "$COORD_PID"
    local rc=0
    wait "$COORD_PID" || rc=$?
    COORD_PID=""
    assert_eq "$rc" 0 "exit status after SIGTERM"
}

api()
{
    local method=$1 path=$2 token=${3:-} body=${4:-}
    # one reply file per (sub)shell: a test may call api from a background subshell while
    # the main shell waits in another call (a long-poll)
    local reply="$COORD_TMP/reply.$BASHPID"
    local -a args=(-s -S -m 30 -o "$reply" -w '%{http_code}' -X "$method")
    [[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
    if [[ -n $body ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    API_STATUS=$(curl "${args[@]}" "http://127.0.0.1:$COORD_PORT$path") || API_STATUS="curl-failed"
    API_BODY=$(cat "$reply" 2>/dev/null || true)
    rm -f "$reply"
}

api_expect()
{
    local want=$1
    shift
    api "$@"
    [[ $API_STATUS == "$want" ]] || coord_fail "$1 $2: expected HTTP $want, got $API_STATUS"
}

jqr()
{
    jq -r "$1" <<<"$API_BODY"
}

# Builds the upload body {"files": [{"name", "content"}]} from a directory.
coord_set_body()
{
    local dir=$1
    (cd "$dir" && for f in *; do jq -n --arg n "$f" --rawfile c "$f" '{name: $n, content: $c}'; done) |
        jq -s '{files: .}'
}

coord_upload_set()
{
    coord_set_body "$1" >"$COORD_TMP/upload.json"
    api POST /v1/migration-sets "$OP_TOKEN" "@$COORD_TMP/upload.json"
    [[ $API_STATUS == 201 || $API_STATUS == 200 ]] ||
        coord_fail "upload: expected 201 or 200, got $API_STATUS"
    COORD_DIGEST=$(jqr .digest)
}

# The canary plan of the tests: 1 canary shard, 25 % of the rest, then the rest.
coord_plan_json()
{
    cat <<'PLAN'
{"name": "add status", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "quarter", "percent": 25, "max_parallel": 4},
  {"name": "rest", "rest": true, "max_parallel": 8}]}
PLAN
}
