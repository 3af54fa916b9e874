#!/usr/bin/env bash
# shardwave-agent against a scripted fake coordinator (agent_fake_coordinator.py) and
# real SQLite shards: a leased shard runs only after the go-ahead and ends with the
# steps in its history (wave and agent recorded); a shard without the go-ahead is given
# back untouched; SQL that does not match its checksum is refused; reports survive a
# coordinator that refuses them for a while (queued on disk, delivered once, in order);
# a failed lease's `failure` goes only to a coordinator speaking protocol 1.1+, and a
# newer minor's unknown fields are ignored;
# SIGTERM exits 0 promptly; --check-config never prints the token.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/common.sh"
SW_MSG_PREFIX=agent_daemon
AGENT=${SW_BIN_DIR:-$here/../../build/bin}/shardwave-agent
[[ -x $AGENT ]] || sw_die "$AGENT is not built"
tmp=$(mktemp -d "${SW_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sw_agent_daemon.XXXXXX")
pids=()
cleanup()
{
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
fail()
{
    sw_msg "FAIL: $*"
    [[ -f $tmp/agent.log ]] && sed 's/^/  agent: /' "$tmp/agent.log" >&2
    exit 1
}

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
step() # version description script sql
{
    jq -n --arg v "$1" --arg d "$2" --arg s "$3" --arg q "$4" --arg c "$(sha "$4")" \
        '{version: $v, description: $d, script: $s, checksum: $c, sql: $q, no_transaction: false}'
}
lease() # id shard steps-json [checksum-override]
{
    jq -n --arg l "$1" --arg s "$2" --argjson steps "$3" \
        '{lease: $l, kind: "migrate", wave: "w-test1", shard: $s, engine: "sqlite",
          direction: "up", target: "2", expected_from: "0", migration_set: ("ab" * 32),
          lease_ttl_ms: 30000,
          timeouts: {lock_wait_ms: 5000, lock_timeouts_ms: [1000], lock_pauses_ms: [],
                     statement_timeout_ms: 0},
          steps: $steps}'
}
v1_sql=$'CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n'
v2_sql=$'ALTER TABLE users ADD COLUMN status text;\n'
steps=$(jq -s . <(step 1 "create users" V1__create_users.sql "$v1_sql") \
    <(step 2 "add status" V2__add_status.sql "$v2_sql"))
bad_steps=$(jq '.[1].sql = "DROP TABLE users;\n"' <<<"$steps")

start_fake() # scenario-json
{
    rm -f "$tmp/port" "$tmp/fake.jsonl"
    printf '%s' "$1" >"$tmp/scenario.json"
    python3 "$here/agent_fake_coordinator.py" "$tmp/scenario.json" "$tmp/fake.jsonl" \
        "$tmp/port" &
    pids+=($!)
    sw_poll 20 test -s "$tmp/port" || fail "fake coordinator did not start"
    port=$(cat "$tmp/port")
    cat >"$tmp/agent.conf" <<CONF
coordinator_url = "http://127.0.0.1:$port"
agent_id = "agent-t1"
pools = ["eu"]
workers = 3
state_dir = "$tmp/state"
dsn_template = "sqlite://$tmp/{shard}.db"
retry_base_ms = 50
retry_cap_ms = 200
CONF
}
reports() { jq -c 'select(.kind == "report") | .body' "$tmp/fake.jsonl"; }
history() { sqlite3 -separator ' ' "$tmp/$1.db" \
    "SELECT version, direction, state, wave, agent FROM shardwave_schema_history ORDER BY id"; }

# 1. --once: go-ahead, refusal of the go-ahead, checksum mismatch; reports refused twice
sw_msg "leases: go, no go, bad checksum"
start_fake "$(jq -n --argjson a "$(lease l-a1 t-001 "$steps")" \
    --argjson b "$(lease l-b2 t-002 "$steps")" --argjson c "$(lease l-c3 t-003 "$bad_steps")" \
    '{token: "tok", leases: [$a, $b, $c], go: {"l-b2": false}, fail_reports: 2}')"
SHARDWAVE_AGENT_TOKEN=tok timeout 60 "$AGENT" --config "$tmp/agent.conf" --once \
    2>"$tmp/agent.log" || fail "agent --once exited $?"

[[ $(history t-001) == $'1 up applied w-test1 agent-t1\n2 up applied w-test1 agent-t1' ]] ||
    fail "t-001 history: $(history t-001)"
[[ $(sqlite3 "$tmp/t-001.db" "SELECT group_concat(name) FROM pragma_table_info('users')") == \
    "id,email,status" ]] || fail "t-001 users columns"
if [[ -f $tmp/t-002.db ]]; then
    [[ -z $(sqlite3 "$tmp/t-002.db" ".tables") ]] || fail "t-002 was touched without go-ahead"
fi
[[ ! -f $tmp/t-003.db || -z $(sqlite3 "$tmp/t-003.db" ".tables") ]] ||
    fail "t-003 was touched despite its bad checksum"
starts=$(jq -r 'select(.kind == "start") | .body.lease' "$tmp/fake.jsonl" | sort | tr '\n' ' ')
[[ $starts == "l-a1 l-b2 " ]] || fail "go-ahead requests: '$starts' (never for the refused lease)"

got=$(reports | jq -r '[.shard, .kind, (.version // "-"), .outcome,
    (.shard_version // "-")] | join(" ")' | sort)
want=$'t-001 lease_done - done 2\nt-001 step 1 applied -\nt-001 step 2 applied -\nt-002 lease_done - released -\nt-003 lease_done - refused -'
[[ $got == "$want" ]] || fail "reports:"$'\n'"$got"$'\nwant:\n'"$want"
reports | jq -s -e 'map(select(.outcome == "refused"))[0].error |
    test("^V2__add_status.sql: the SQL does not match its checksum")' >/dev/null ||
    fail "refusal names the file"
[[ $(jq -s 'map(select(.kind == "reports_refused")) | length' "$tmp/fake.jsonl") == 2 ]] ||
    fail "the fake refused reports twice"
ids=$(reports | jq -r .id)
[[ $(sort -u <<<"$ids" | wc -l) == 5 ]] || fail "report ids not unique: $ids"
[[ $(grep -c '^agent-t1:[0-9]*$' <<<"$ids") == 5 ]] || fail "report ids not <agent>:<seq>"
# per shard, reports arrive in queue order: steps before the lease outcome
[[ $(reports | jq -r 'select(.shard == "t-001") | (.version // "done")' | tr '\n' ' ') == \
    "1 2 done " ]] || fail "t-001 reports out of order"
[[ -z $(find "$tmp/state" -name '*.json') ]] || fail "delivered reports left in the queue"
grep -q 'token' "$tmp/agent.log" && grep -q 'tok"' "$tmp/agent.log" && fail "token logged"

# 2. a re-dispatched lease applies nothing twice (the history is re-read)
sw_msg "re-dispatched lease"
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
start_fake "$(jq -n --argjson a "$(lease l-a9 t-001 "$steps")" '{token: "tok", leases: [$a]}')"
SHARDWAVE_AGENT_TOKEN=tok timeout 60 "$AGENT" --config "$tmp/agent.conf" --once \
    2>"$tmp/agent.log" || fail "agent --once (again) exited $?"
[[ $(history t-001 | wc -l) == 2 ]] || fail "t-001 history grew: $(history t-001)"
[[ $(reports | jq -r '[.kind, .outcome, (.shard_version // "-")] | join(" ")') == \
    "lease_done done 2" ]] || fail "re-dispatch reports: $(reports)"
# report ids keep increasing across restarts
max_old=$(sed 's/.*://' <<<"$ids" | sort -n | tail -1)
new_id=$(reports | jq -r .id | sed 's/.*://')
((new_id > max_old)) || fail "report id $new_id reused after a restart (old max $max_old)"

# 3. rollback (down file plus its up file for the checksum check) and inventory
sw_msg "rollback and inventory"
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
u2_sql=$'ALTER TABLE users DROP COLUMN status;\n'
rb_steps=$(jq -s . <(step 2 "add status" V2__add_status.sql "$v2_sql") \
    <(step 2 "add status" U2__add_status.sql "$u2_sql"))
rb=$(lease l-f1 t-001 "$rb_steps" | jq '.kind = "rollback" | .direction = "down" | .target = "1"
    | .expected_from = "2"')
inv=$(jq -n '{lease: "l-e1", kind: "inventory", shard: "t-001", engine: "sqlite",
    lease_ttl_ms: 30000}')
start_fake "$(jq -n --argjson a "$rb" '{token: "tok", leases: [$a]}')"
SHARDWAVE_AGENT_TOKEN=tok timeout 60 "$AGENT" --config "$tmp/agent.conf" --once \
    2>"$tmp/agent.log" || fail "agent --once (rollback) exited $?"
[[ $(history t-001 | tail -1 | cut -d' ' -f1,2,4,5) == "2 down w-test1 agent-t1" ]] ||
    fail "t-001 history after rollback: $(history t-001)"
[[ $(sqlite3 "$tmp/t-001.db" "SELECT group_concat(name) FROM pragma_table_info('users')") == \
    "id,email" ]] || fail "t-001 users columns after rollback"
[[ $(reports | jq -r '[.kind, (.version // "-"), (.direction // "-"), .outcome,
    (.shard_version // "-")] | join(" ")' | tr '\n' ';') == \
    "step 2 down applied -;lease_done - - done 1;" ]] || fail "rollback reports: $(reports)"
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
start_fake "$(jq -n --argjson a "$inv" '{token: "tok", leases: [$a]}')"
SHARDWAVE_AGENT_TOKEN=tok timeout 60 "$AGENT" --config "$tmp/agent.conf" --once \
    2>"$tmp/agent.log" || fail "agent --once (inventory) exited $?"
[[ $(reports | jq -r '[.kind, .shard_version, .shard_health, (.applied | map(.version) |
    join(",")), (.fingerprint | length)] | join(" ")') == "inventory 1 ok 1 64" ]] ||
    fail "inventory report: $(reports)"
[[ $(reports | jq -r '.applied[0].checksum') == "$(sha "$v1_sql")" ]] ||
    fail "inventory checksum of V1"
[[ $(jq -r 'select(.kind == "start") | .body.lease' "$tmp/fake.jsonl") == "" ]] ||
    fail "an inventory (read-only) asked for a go-ahead"

# 3b. protocol within a major: a failed lease's report carries `failure` for a 1.1
# coordinator, and leaves it out for a 1.0 one (which would refuse it for good: bad/);
# (as for a 1.2 one); a 1.3 coordinator's answers and leases with fields this agent does
# not know are taken
sw_msg "protocol 1.0 / 1.1 / 1.2 / 1.3 coordinators"
failed_lease() # id shard
{
    lease "$1" "$2" "$(jq -s . <(step 1 "broken" V1__broken.sql $'SELECT * FROM no_such_table;\n'))" |
        jq '.target = "1"'
}
for proto in 1.0 1.1 1.2 1.3; do
    kill "${pids[-1]}"
    wait "${pids[-1]}" 2>/dev/null || true
    shard=t-p${proto/./}
    start_fake "$(jq -n --argjson a "$(failed_lease "l-c${proto/./}" "$shard")" --arg p "$proto" \
        '{token: "tok", leases: [$a], protocol: $p}
         + (if $p == "1.3" then {extra: {hint: "newer", budget: {ms: 5}}} else {} end)')"
    SHARDWAVE_AGENT_TOKEN=tok timeout 60 "$AGENT" --config "$tmp/agent.conf" --once \
        2>"$tmp/agent.log" || fail "agent --once (coordinator $proto) exited $?"
    grep -q "registered with .* (protocol $proto," "$tmp/agent.log" ||
        fail "the agent did not log the coordinator's protocol $proto"
    want="lease_done failed error"
    [[ $proto == 1.0 ]] && want="lease_done failed -"
    [[ $(reports | jq -r 'select(.kind == "lease_done") | [.kind, .outcome, (.failure // "-")]
        | join(" ")') == "$want" ]] || fail "coordinator $proto: lease_done report: $(reports)"
    [[ $(jq -s 'map(select(.kind == "reports_invalid")) | length' "$tmp/fake.jsonl") == 0 ]] ||
        fail "coordinator $proto refused a report"
    [[ -z $(find "$tmp/state" -name '*.json') ]] || fail "coordinator $proto: reports left queued"
    [[ $(jq -r 'select(.kind == "register") | .body.protocol' "$tmp/fake.jsonl") == 1.2 ]] ||
        fail "the agent did not register with protocol 1.2"
done

# 4. SIGTERM: exits 0 promptly even in a long-poll
sw_msg "SIGTERM"
n_polls() { grep -c '"kind": "lease_request"' "$tmp/fake.jsonl" || true; }
polls_before=$(n_polls)
SHARDWAVE_AGENT_TOKEN=tok "$AGENT" --config "$tmp/agent.conf" 2>"$tmp/agent.log" &
agent_pid=$!
pids+=("$agent_pid")
more_polls() { (($(n_polls) > polls_before)); }
sw_poll 20 more_polls || fail "no lease request"
kill -TERM "$agent_pid"
rc=0
timeout 20 tail --pid="$agent_pid" -f /dev/null || fail "agent did not exit after SIGTERM"
wait "$agent_pid" || rc=$?
[[ $rc == 0 ]] || fail "agent exited $rc after SIGTERM"

# 5. --check-config redacts the token
out=$(SHARDWAVE_AGENT_TOKEN=sekrit-tok "$AGENT" --config "$tmp/agent.conf" --check-config)
grep -q 'token = "<redacted>";' <<<"$out" || fail "check-config: $out"
grep -q sekrit <<<"$out" && fail "check-config printed the token"
sw_msg "ok"
