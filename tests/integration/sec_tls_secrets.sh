#!/usr/bin/env bash
# TLS end to end and secrets (issue 6, "Security"). A throwaway CA (openssl) signs the
# coordinator's certificate; the coordinator serves HTTPS; the CLI and two agents verify it
# against the CA file and a full wave runs over TLS on PostgreSQL, MariaDB and SQLite
# shards. A certificate from another CA is refused by the CLI (exit 9), by an agent (no
# registration, the verification failure logged) and by curl. One more PostgreSQL shard
# has a DSN with a password and a port nobody listens on, so a connection error travels
# from the agent into the wave (within its failure budget). Then no secret — the database passwords, the wrong password, the operator, read
# and agent tokens — may appear in the coordinator's log, the agents' logs and their
# report queues, the API's outputs (fleet, waves, wave detail, events, migration set),
# the CLI's outputs, `--check-config`, or the coordinator's store file.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/e2e_lib.sh
source "$here/e2e_lib.sh"
command -v openssl >/dev/null || coord_fail "openssl is required"
CLI="$SW_BIN_DIR/shardwave"

e2e_setup 1 1 2 2
e2e_parse_mysql
PG_PASS=$(sed -nE 's|^[a-z]+://[^:/@]*:([^@]*)@.*|\1|p' <<<"$SW_TEST_PG_DSN")
[[ -n $PG_PASS && -n $E2E_MY_PASS ]] || coord_fail "the test servers' DSNs carry no password"
BAD_PASS="wrong-pw-$(sw_random_hex 12 2>/dev/null || od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
# A PostgreSQL shard the agents cannot reach (nothing listens on its port); its DSN holds
# BAD_PASS, so the connection error must not quote the DSN.
bad_dsn="postgres://sw:$BAD_PASS@127.0.0.1:$(coord_free_port)/nowhere?connect_timeout=2"
sed -i '$d' "$COORD_TMP/fleet.conf" "$COORD_TMP/shards.conf"
printf ',\n  { id = "pg-bad"; engine = "pg"; pool = "eu"; labels = { tier = "main"; host = "h-9"; }; }\n);\n' \
    >>"$COORD_TMP/fleet.conf"
printf ',\n  { id = "pg-bad"; dsn = "%s"; }\n);\n' "$bad_dsn" >>"$COORD_TMP/shards.conf"

# ---- a CA, a server certificate it signs, and a second (wrong) CA
pki=$COORD_TMP/pki
mkdir -p "$pki"
for ca in ca wrong-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=shardwave test $ca" \
        -keyout "$pki/$ca.key" -out "$pki/$ca.pem" >/dev/null 2>&1 || coord_fail "openssl: $ca"
done
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/server.key" \
    -out "$pki/server.csr" >/dev/null 2>&1 || coord_fail "openssl: server key"
printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/san.ext"
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 2 -extfile "$pki/san.ext" -out "$pki/server.pem" >/dev/null 2>&1 ||
    coord_fail "openssl: server certificate"
cat >>"$COORD_TMP/coordinator.conf" <<CONF
tls_cert_file = "$pki/server.pem";
tls_key_file = "$pki/server.key";
CONF
URL="https://127.0.0.1:$COORD_PORT"
for i in 1 2; do
    sed -i "s|^coordinator_url = .*|coordinator_url = \"$URL\"|" "$COORD_TMP/agent-$i.conf"
    printf 'ca_file = "%s"\n' "$pki/ca.pem" >>"$COORD_TMP/agent-$i.conf"
done

OUT=$COORD_TMP/outputs # everything the API and the CLI printed
mkdir -p "$OUT"
n_out=0
# tapi METHOD PATH TOKEN [BODY]: api over HTTPS (CA checked); keeps every reply in $OUT.
tapi()
{
    local -a args=(-s -S -m 30 --cacert "$pki/ca.pem" -o "$COORD_TMP/reply" -w '%{http_code}'
        -X "$1" -H "Authorization: Bearer $3")
    [[ -n ${4:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    API_STATUS=$(curl "${args[@]}" "$URL$2") || API_STATUS=curl-failed
    API_BODY=$(cat "$COORD_TMP/reply")
    n_out=$((n_out + 1))
    printf '%s\n' "$API_BODY" >"$OUT/api-$n_out.json"
}
cli()
{
    local name=$1 rc=0
    shift
    "$CLI" --coordinator "$URL" --token-file "$COORD_TMP/op.token" "$@" \
        >"$OUT/cli-$name.out" 2>"$OUT/cli-$name.err" || rc=$?
    return "$rc"
}
printf '%s\n' "$OP_TOKEN" >"$COORD_TMP/op.token"

"$COORD_BIN" --config "$COORD_TMP/coordinator.conf" >>"$COORD_LOG" 2>&1 &
COORD_PID=$!
https_healthy() { curl -s -o /dev/null -m 2 --cacert "$pki/ca.pem" "$URL/healthz"; }
deadline=$((SECONDS + 60))
until https_healthy; do
    kill -0 "$COORD_PID" 2>/dev/null || e2e_fail "the coordinator exited during startup"
    ((SECONDS < deadline)) || e2e_fail "the coordinator did not answer HTTPS /healthz"
    sleep 0.1
done

# ---- the wrong CA is refused: curl, the CLI, an agent
if curl -s -o /dev/null -m 5 --cacert "$pki/wrong-ca.pem" "$URL/healthz"; then
    e2e_fail "curl trusted a certificate of another CA"
fi
rc=0
cli wrong-ca fleet --ca-file "$pki/wrong-ca.pem" || rc=$?
assert_eq "$rc" 9 "CLI exit status with the wrong CA"
assert_contains "$(cat "$OUT/cli-wrong-ca.err")" "certificate" "CLI error with the wrong CA"
sed "s|ca_file = .*|ca_file = \"$pki/wrong-ca.pem\"|; s|agent_id = .*|agent_id = \"a-wrong\"|" \
    "$COORD_TMP/agent-1.conf" >"$COORD_TMP/agent-wrong.conf"
"$AGENT_BIN" --config "$COORD_TMP/agent-wrong.conf" >"$COORD_TMP/agent-wrong.log" 2>&1 &
wrong_pid=$!
E2E_AGENT_PIDS+=("$wrong_pid")
wrong_ca_logged() { grep -qi "certificate" "$COORD_TMP/agent-wrong.log"; }
wait_for "the agent with the wrong CA to log the certificate failure" wrong_ca_logged
kill -TERM "$wrong_pid"
wait "$wrong_pid" || true
E2E_AGENT_PIDS=()
if grep -q "a-wrong" "$COORD_LOG"; then
    e2e_fail "the agent with the wrong CA reached the coordinator"
fi

# ---- the right CA: CLI and agents over TLS, a full wave
cli fleet fleet --ca-file "$pki/ca.pem" || e2e_fail "CLI fleet over TLS: $(cat "$OUT/cli-fleet.err")"
for i in 1 2; do
    "$AGENT_BIN" --config "$COORD_TMP/agent-$i.conf" --check-config >"$OUT/check-config-$i.out" 2>&1 ||
        e2e_fail "agent --check-config failed: $(cat "$OUT/check-config-$i.out")"
    "$AGENT_BIN" --config "$COORD_TMP/agent-$i.conf" >>"$COORD_TMP/agent-$i.log" 2>&1 &
    E2E_AGENT_PIDS+=($!)
done
e2e_write_set "$COORD_TMP/set"
cat >"$COORD_TMP/plan.conf" <<'PLAN'
name = "tls wave";
stages = (
    { name = "canary"; select = "tier=canary"; max_parallel = 1; },
    { name = "rest"; rest = true; max_parallel = 4; max_failures = 1; }
);
PLAN
cli start --ca-file "$pki/ca.pem" wave start --plan "$COORD_TMP/plan.conf" \
    --migrations "$COORD_TMP/set" --reason "sec test" --json ||
    e2e_fail "wave start over TLS: $(cat "$OUT/cli-start.err")"
E2E_WAVE=$(jq -r .id "$OUT/cli-start.out")
wave_done()
{
    tapi GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    [[ $(jqr .state) == completed ]]
}
deadline=$((SECONDS + 120))
until wave_done; do
    ((SECONDS < deadline)) || e2e_fail "wave $E2E_WAVE is $(jqr .state), expected completed"
    sleep 0.2
done
for id in pg-01 mysql-01 sqlite-01 sqlite-02; do
    assert_eq "$(e2e_version "$id")" 3 "version of $id after the TLS wave"
done
tapi GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
jq -e '[.events[] | select(.shard == "pg-bad")] | length > 0' "$OUT/api-$n_out.json" >/dev/null ||
    e2e_fail "no event for the shard with the wrong password"
jq -e '[.events[] | select(.shard == "pg-bad" and (.message | test("refused|connect")))] | length > 0' \
    "$OUT/api-$n_out.json" >/dev/null || e2e_fail "the connection failure of pg-bad is not in the events"
tapi GET /v1/fleet "$READ_TOKEN"
tapi GET /v1/waves "$READ_TOKEN"
tapi GET "/v1/migration-sets/$(jq -r .migration_set "$OUT/api-1.json")" "$READ_TOKEN"
tapi GET /metrics "$READ_TOKEN"
cli status --ca-file "$pki/ca.pem" wave status "$E2E_WAVE" --json || e2e_fail "wave status over TLS"
cli events --ca-file "$pki/ca.pem" wave events "$E2E_WAVE" || e2e_fail "wave events over TLS"
cli fleet2 --ca-file "$pki/ca.pem" fleet || e2e_fail "fleet over TLS"

# ---- stop everything (flushes logs and the store), then look for the secrets
for p in "${E2E_AGENT_PIDS[@]}"; do
    kill -TERM "$p"
done
for p in "${E2E_AGENT_PIDS[@]}"; do
    wait "$p" || e2e_fail "an agent exited with status $? after SIGTERM"
done
E2E_AGENT_PIDS=()
kill -TERM "$COORD_PID"
rc=0
wait "$COORD_PID" || rc=$?
COORD_PID=""
assert_eq "$rc" 0 "coordinator exit status after SIGTERM"

declare -A SECRETS=([pg password]=$PG_PASS [mysql password]=$E2E_MY_PASS
    [wrong password]=$BAD_PASS [operator token]=$OP_TOKEN [read token]=$READ_TOKEN
    [agent token a-1]=$AGENT_TOKEN-1 [agent token a-2]=$AGENT_TOKEN-2)
places=("$COORD_LOG" "$COORD_TMP"/agent-*.log "$OUT" "$COORD_TMP"/agent-*.state
    "$COORD_TMP"/store.db*)
[[ $(find "$OUT" -type f | wc -l) -ge 10 ]] || e2e_fail "too few outputs collected"
grep -q "pg-bad" "$COORD_LOG" "$COORD_TMP"/agent-*.log || e2e_fail "pg-bad left no log line"
for what in "${!SECRETS[@]}"; do
    hits=$(grep -rlaF -- "${SECRETS[$what]}" "${places[@]}" || true)
    [[ -z $hits ]] || e2e_fail "the $what appears in: $hits"
done
coord_log "ok: ${#SECRETS[@]} secrets absent from $(find "${places[@]}" -type f | wc -l) files"
