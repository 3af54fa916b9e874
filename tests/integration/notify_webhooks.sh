#!/usr/bin/env bash
# Webhooks against a real coordinator and two real agents over 4 SQLite shards, with a
# python receiver (notify_receiver.py) that answers the first 2 POSTs of the JSON hook with
# 503 and hangs on the third past the hook's 1 s timeout. A wave to version 2 completes;
# a wave to 3, whose V3 fails, halts on its canary. Then:
#   - the JSON hook (events wave_state, stage_completed, shard_failed; HMAC secret; an
#     extra header) got 2 x 503, 1 timeout, then success for the first event: attempts
#     1..4 of one event id, the same body each time;
#   - its dedupe view (event ids of the POSTs it answered, or hung on, first seen) is
#     exactly the store's events of those types (GET /v1/waves/{id}/events): every event
#     once, in order per wave, with the documented fields;
#   - the Slack hook (events wave_halted) first points at a port nobody listens on: it
#     keeps retrying the halt; SIGHUP gives it the receiver's URL (and wave_state): the
#     queued halt is delivered, then the abort, one message each, naming the wave,
#     "halted" and the failed shard;
#   - every signature verifies; the URL tokens and the HMAC secret appear in no log, API
#     answer, /metrics, --check-config output or the store;
#   - /metrics counts the deliveries (ok, retried, failed, dropped) and passes promtool;
#   - TLS is verified: an https hook with ca_file (the receiver's throwaway certificate)
#     gets the halt; the same receiver without ca_file is refused by libcurl, and the
#     hook gives up after max_attempts (counted as failed, logged without the URL);
#   - a hook on a dead port with queue_max = 1 keeps one event in flight and one queued
#     and drops the other 5 (counted, logged); at shutdown the one in flight goes back
#     in front (the newest is dropped) and the one left is logged as not delivered;
#   - SIGHUP with a changed hook list is applied ("changed: webhooks"), and a changed
#     hook keeps its undelivered events.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

command -v python3 >/dev/null || e2e_fail "python3 is required"
command -v promtool >/dev/null || e2e_fail "promtool is not installed (deploy/install-deps.sh)"

JSON_TOKEN="jsonhooktoken$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
SLACK_TOKEN="slackhooktoken$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
HMAC_SECRET="hmacsecret$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
RECV_LOG=$COORD_TMP/received.jsonl
TLS_LOG=$COORD_TMP/received-tls.jsonl
RECV_PID=""
TLS_PID=""

notify_cleanup()
{
    local p
    for p in $RECV_PID $TLS_PID; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    e2e_cleanup
}
trap notify_cleanup EXIT

e2e_setup 0 0 4
printf '%s\n' "$HMAC_SECRET" >"$COORD_TMP/hook.secret"
python3 "$here/notify_receiver.py" --port-file "$COORD_TMP/recv.port" --log "$RECV_LOG" \
    --secret-file "$COORD_TMP/hook.secret" --fail-path /hook/json --fail-first 2 \
    --hang-seconds 3 2>"$COORD_TMP/receiver.err" &
RECV_PID=$!
wait_for "the receiver" test -s "$COORD_TMP/recv.port"
RECV_PORT=$(cat "$COORD_TMP/recv.port")
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$COORD_TMP/tls.key" \
    -out "$COORD_TMP/tls.pem" >/dev/null 2>&1 || e2e_fail "openssl could not make a certificate"
python3 "$here/notify_receiver.py" --port-file "$COORD_TMP/tls.port" --log "$TLS_LOG" \
    --secret-file "$COORD_TMP/hook.secret" --tls-cert "$COORD_TMP/tls.pem" \
    --tls-key "$COORD_TMP/tls.key" 2>"$COORD_TMP/receiver-tls.err" &
TLS_PID=$!
wait_for "the TLS receiver" test -s "$COORD_TMP/tls.port"
TLS_PORT=$(cat "$COORD_TMP/tls.port")
printf 'http://127.0.0.1:%s/hook/json/%s\n' "$RECV_PORT" "$JSON_TOKEN" >"$COORD_TMP/hook.url"
chmod 600 "$COORD_TMP/hook.url" "$COORD_TMP/hook.secret"

DEAD_PORT=$(coord_free_port)
# hooks_conf SLACK_PORT SLACK_EVENTS: the webhooks section (appended to the e2e
# coordinator config).
hooks_conf()
{
    cat <<CONF
webhooks = (
  { name = "ops-json"; url_file = "$COORD_TMP/hook.url"; format = "json";
    events = ["wave_state", "stage_completed", "shard_failed"];
    secret_file = "$COORD_TMP/hook.secret"; headers = ["X-Test: yes"];
    timeout_s = 1; connect_timeout_s = 1; max_attempts = 8; retry_base_ms = 50;
    retry_max_s = 1; },
  { name = "ops-slack"; url = "http://127.0.0.1:$1/hook/slack/$SLACK_TOKEN";
    format = "slack"; events = [$2]; max_attempts = 100; retry_base_ms = 100;
    retry_max_s = 1; },
  { name = "tls-ok"; url = "https://127.0.0.1:$TLS_PORT/hook/tls/$JSON_TOKEN";
    ca_file = "$COORD_TMP/tls.pem"; events = ["wave_halted"]; },
  { name = "tls-untrusted"; url = "https://127.0.0.1:$TLS_PORT/hook/untrusted/$JSON_TOKEN";
    events = ["wave_halted"]; max_attempts = 2; retry_base_ms = 10; },
  { name = "tiny-queue"; url = "http://127.0.0.1:$DEAD_PORT/hook/tiny";
    events = ["wave_state", "stage_completed", "shard_failed"]; queue_max = 1;
    max_attempts = 100; retry_base_ms = 200; retry_max_s = 1; }
);
CONF
}
cp "$COORD_TMP/coordinator.conf" "$COORD_TMP/coordinator.base.conf"
{
    cat "$COORD_TMP/coordinator.base.conf"
    hooks_conf "$DEAD_PORT" '"wave_halted"'
} >"$COORD_TMP/coordinator.conf"

out=$("$COORD_BIN" --config "$COORD_TMP/coordinator.conf" --check-config 2>&1) ||
    e2e_fail "--check-config: $out"
assert_contains "$out" 'name = "ops-json";' "--check-config lists the hook"
assert_contains "$out" "url = \"http://127.0.0.1:$DEAD_PORT/<redacted>\";" "--check-config redacts"
printf '%s\n' "$out" >"$COORD_TMP/check-config.out"

e2e_write_set "$COORD_TMP/set" 3
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
plan='{"name": "P", "target": "T", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1,
   "gate": {"http": "http://127.0.0.1:RP/gate?wave={wave}", "timeout_seconds": 5}},
  {"name": "rest", "rest": true, "max_parallel": 4}]}'
plan=${plan/RP/$RECV_PORT} # the canary's gate passes (its stage_completed comes from the gate)
e2e_wave "${plan/T/2}"
done_wave=$E2E_WAVE
e2e_wait_state completed
e2e_wave "${plan/T/3}"
halt_wave=$E2E_WAVE
e2e_wait_state halted
canary=${E2E_SHARDS[0]}

# The events each hook must get, from the store (GET /v1/waves/{id}/events): JSON hook:
# transitions, passed stages (the canary's by its gate), the first record of each failed
# shard.
expected_events()
{
    local w
    for w in "$done_wave" "$halt_wave"; do
        api_expect 200 GET "/v1/waves/$w/events" "$READ_TOKEN"
        jq -c --arg w "$w" '[.events // . | .[] | select(.kind == "transition" or
            (.kind == "stage" and (.message | endswith(": passed"))) or
            (.kind == "gate" and (.message | test("^stage \\S+: gate passed"))) or
            (.kind == "shard" and (.message | test("^shard \\S+ failed"))))
            | {id, wave: $w, kind, to}] | .[]' <<<"$API_BODY"
    done
}
expected_events >"$COORD_TMP/expected.jsonl"
n_expected=$(wc -l <"$COORD_TMP/expected.jsonl")
((n_expected == 7)) || e2e_fail "expected 7 store events (2+2 transitions, 2 stages, 1 failure), got $n_expected: $(cat "$COORD_TMP/expected.jsonl")"

# The receiver's dedupe view of a path: event ids it took (answered 200, or hung on: it
# had the body), first occurrence, in arrival order.
dedupe()
{
    jq -s -c --arg p "$1" '[.[] | select((.path | startswith($p)) and .action != "503")]
        | reduce .[] as $r ({seen: {}, out: []};
            if .seen[$r.event_id] then . else .seen[$r.event_id] = true | .out += [$r] end)
        | .out[]' "$RECV_LOG"
}
delivered_all()
{
    [[ -s $RECV_LOG ]] || return 1
    local want got
    want=$(jq -r '.id' "$COORD_TMP/expected.jsonl" | sort -n | paste -sd,)
    got=$(jq -s -r '[.[] | select((.path | startswith("/hook/json")) and .action == "200")
        | .event_id | tonumber] | unique | join(",")' "$RECV_LOG")
    [[ $got == "$want" ]]
}
wait_for "every event delivered" delivered_all
tls_done()
{
    [[ -s $TLS_LOG ]] && grep -q "webhook tls-untrusted: event .* given up" "$COORD_LOG"
}
wait_for "the https hooks" tls_done

# Retries: the first event's attempts 1..4 (503, 503, timeout, 200), one body.
first_id=$(head -n 1 "$COORD_TMP/expected.jsonl" | jq -r .id)
jq -s -c --arg id "$first_id" '[.[] | select(.event_id == $id)]' "$RECV_LOG" >"$COORD_TMP/first.json"
assert_eq "$(jq -r '[.[].action] | join(",")' "$COORD_TMP/first.json")" "503,503,hang,200" \
    "what the receiver did with event $first_id"
assert_eq "$(jq -r '[.[].attempt] | join(",")' "$COORD_TMP/first.json")" "1,2,3,4" \
    "delivery attempts of event $first_id"
assert_eq "$(jq -r '[.[].body | tojson] | unique | length' "$COORD_TMP/first.json")" 1 \
    "one body for every attempt"

# Exactly once in the dedupe view, in store order per wave.
dedupe /hook/json >"$COORD_TMP/json.jsonl"
assert_eq "$(jq -r '.event_id' "$COORD_TMP/json.jsonl" | sort -n | paste -sd,)" \
    "$(jq -r '.id' "$COORD_TMP/expected.jsonl" | sort -n | paste -sd,)" "JSON hook: delivered events"
for w in "$done_wave" "$halt_wave"; do
    ids=$(jq -r --arg w "$w" 'select(.body.wave == $w) | .event_id' "$COORD_TMP/json.jsonl" | paste -sd,)
    assert_eq "$ids" "$(jq -r --arg w "$w" 'select(.wave == $w) | .id' "$COORD_TMP/expected.jsonl" | paste -sd,)" \
        "JSON hook: order of wave $w"
done
# Slack messages carry no X-Test header: count the JSON hook's only.
bad=$(jq -s -c '[.[] | select((.path | startswith("/hook/json")) and (.sig_ok != true
    or .x_test != "yes" or .content_type != "application/json"
    or (.body.event_id | tostring) != .event_id or .body.type != .event))] | length' "$RECV_LOG")
assert_eq "$bad" 0 "JSON hook requests with a bad signature, header or event id"

# Payloads: the completed wave's story, then the halt with the failing shard.
j=$COORD_TMP/json.jsonl
sel() { jq -r --arg w "$1" "select(.body.wave == \$w) | .body | $2" "$j" | paste -sd' '; }
assert_eq "$(sel "$done_wave" '.type')" "wave_state stage_completed stage_completed wave_state" \
    "types of the completed wave's events"
assert_eq "$(sel "$done_wave" '"\(.from)>\(.to)"')" \
    "pending>running running>running running>running running>completed" "its states"
assert_eq "$(sel "$done_wave" 'select(.type == "stage_completed") | .stage.name')" "canary rest" \
    "its passed stages"
assert_eq "$(sel "$done_wave" 'select(.to == "completed") | "\(.counts.total) \(.counts.done) \(.summary)"')" \
    "4 4 wave $done_wave completed: 4 of 4 shards done" "completion payload"
assert_eq "$(sel "$done_wave" 'select(.type == "stage_completed") | .stage | "\(.number)/\(.of):\(.shards)"')" \
    "1/2:1 2/2:3" "stage numbers and sizes"
assert_eq "$(jq -r --arg w "$halt_wave" 'select(.body.wave == $w) | .body.type' "$j" | sort | paste -sd' ')" \
    "shard_failed wave_halted wave_state" "types of the halted wave's events"
halt=$(jq -c --arg w "$halt_wave" 'select(.body.wave == $w and .body.type == "wave_halted") | .body' "$j")
assert_eq "$(jq -r '"\(.from)>\(.to) \(.stage.name) \(.stage.failed) \(.stage.budget) \(.shard.id)"' <<<"$halt")" \
    "running>halted canary 1 0 $canary" "halt payload"
assert_contains "$(jq -r .shard.error <<<"$halt")" "no_such_table" "halt payload: the shard's error"
assert_contains "$(jq -r .reason <<<"$halt")" "shard $canary failed" "halt payload: reason"
assert_eq "$(jq -r .wave_url <<<"$halt")" "http://127.0.0.1:$COORD_PORT/v1/waves/$halt_wave" \
    "halt payload: link"
assert_eq "$(jq -r '.at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' <<<"$halt")" true \
    "halt payload: timestamp"
failed=$(jq -c --arg w "$halt_wave" 'select(.body.wave == $w and .body.type == "shard_failed") | .body' "$j")
assert_eq "$(jq -r '.shard.id' <<<"$failed")" "$canary" "shard_failed payload: shard"

# /metrics: deliveries by result, promtool-clean.
curl -s -S -m 30 -H "Authorization: Bearer $READ_TOKEN" \
    "http://127.0.0.1:$COORD_PORT/metrics" >"$COORD_TMP/metrics.txt"
promtool check metrics <"$COORD_TMP/metrics.txt" >"$COORD_TMP/promtool.out" 2>&1 ||
    e2e_fail "promtool check metrics: $(cat "$COORD_TMP/promtool.out")"
sample()
{
    awk -v s="$1" '$1 == s {print $2; found = 1} END {if (!found) print "absent"}' "$COORD_TMP/metrics.txt"
}
d=shardwave_webhook_deliveries_total
assert_eq "$(sample "$d{hook=\"ops-json\",result=\"ok\"}")" 7 "JSON hook: delivered"
assert_eq "$(sample "$d{hook=\"ops-json\",result=\"retried\"}")" 3 "JSON hook: retried attempts"
assert_eq "$(sample "$d{hook=\"ops-json\",result=\"failed\"}")" 0 "JSON hook: given up"
assert_eq "$(sample "$d{hook=\"ops-json\",result=\"dropped\"}")" 0 "JSON hook: dropped"
assert_eq "$(sample "$d{hook=\"ops-slack\",result=\"ok\"}")" 0 "Slack hook (dead URL): delivered"
n=$(sample "$d{hook=\"ops-slack\",result=\"retried\"}")
((n >= 1)) || e2e_fail "Slack hook (dead URL): $n retries"
assert_eq "$(sample "$d{hook=\"ops-slack\",result=\"failed\"}")" 0 "Slack hook (dead URL): given up"
assert_eq "$(sample 'shardwave_webhook_queue_length{hook="ops-json"}')" 0 "JSON hook: queue"
assert_eq "$(sample "$d{hook=\"tls-ok\",result=\"ok\"}")" 1 "https hook with ca_file: delivered"
assert_eq "$(sample "$d{hook=\"tls-untrusted\",result=\"failed\"}")" 1 \
    "https hook without the CA: given up"
assert_eq "$(sample "$d{hook=\"tls-untrusted\",result=\"ok\"}")" 0 \
    "https hook without the CA: never delivered"
assert_eq "$(jq -s -r '[.[] | "\(.path | split("/")[2]) \(.event)"] | join(",")' "$TLS_LOG")" \
    "tls wave_halted" "what the https receiver got"
grep -E "webhook tls-untrusted: event [0-9]+ \(wave_halted\) given up after 2 attempts: .*(certificate|SSL)" \
    "$COORD_LOG" >/dev/null || e2e_fail "no give-up line for the untrusted https hook"
assert_eq "$(sample "$d{hook=\"tiny-queue\",result=\"dropped\"}")" 5 "full queue: dropped"
assert_eq "$(sample 'shardwave_webhook_queue_length{hook="tiny-queue"}')" 1 "full queue: length"
assert_eq "$(grep -c 'webhook tiny-queue: queue full (1 events): event [0-9]* dropped' "$COORD_LOG")" 5 \
    "full queue: log lines"
assert_eq "$(sample 'shardwave_leases_expired_total')" 0 "expired leases (none in this test)"
grep -q "webhook ops-json: event $first_id attempt 3 failed" "$COORD_LOG" ||
    e2e_fail "no log line for the timed-out attempt"

# SIGHUP: the Slack hook gets the receiver's URL and also takes state changes; its halt,
# still queued, is delivered first.
{
    # the config as running (coord_start may have moved the port), without the hooks
    sed '/^webhooks = (/,$d' "$COORD_TMP/coordinator.conf"
    hooks_conf "$RECV_PORT" '"wave_state"'
} >"$COORD_TMP/coordinator.next.conf"
mv "$COORD_TMP/coordinator.next.conf" "$COORD_TMP/coordinator.conf"
grep -q "changed: webhooks" "$COORD_LOG" && e2e_fail "a reload before the SIGHUP"
kill -HUP "$COORD_PID"
wait_for "the reload" grep -q "config reloaded (changed: webhooks)" "$COORD_LOG"
grep -q "webhooks reloaded: 5 hooks: ops-json, ops-slack, tls-ok, tls-untrusted, tiny-queue" "$COORD_LOG" ||
    e2e_fail "no reload log line"
api_expect 200 POST "/v1/waves/$halt_wave/abort" "$OP_TOKEN" '{"reason": "webhook test"}'
slack_aborted()
{
    jq -s -e --arg w "$halt_wave" 'any(.[]; (.path | startswith("/hook/slack"))
        and (.body.text | contains("wave \($w) halted \u2192 aborted")))' "$RECV_LOG" >/dev/null
}
wait_for "the abort on the reloaded Slack hook" slack_aborted
dedupe /hook/slack >"$COORD_TMP/slack.jsonl"
assert_eq "$(jq -r '.event' "$COORD_TMP/slack.jsonl" | paste -sd' ')" "wave_halted wave_state" \
    "Slack messages, in order"
text=$(head -n 1 "$COORD_TMP/slack.jsonl" | jq -r '.body.text')
assert_contains "$text" "wave $halt_wave halted at stage canary: 1 failed (budget 0)" "Slack text"
assert_contains "$text" "shard $canary: " "Slack text names the shard"
assert_eq "$(head -n 1 "$COORD_TMP/slack.jsonl" | jq -r '.body.blocks[0].text.text')" "$text" \
    "Slack section"
assert_eq "$(jq -r '.sig_ok, .signature' "$COORD_TMP/slack.jsonl" | paste -sd' ')" \
    "false null false null" "Slack hook: no secret, no signature"
assert_eq "$(jq -s '[.[] | select(.path | startswith("/hook/slack"))] | length' "$RECV_LOG")" 2 \
    "Slack requests (each event once)"

# No secret anywhere an operator or a log shipper looks.
api GET /v1/waves "$READ_TOKEN"
outputs=$API_BODY
for w in "$done_wave" "$halt_wave"; do
    api GET "/v1/waves/$w" "$READ_TOKEN"
    outputs+=$API_BODY
    api GET "/v1/waves/$w/events" "$READ_TOKEN"
    outputs+=$API_BODY
done
printf '%s' "$outputs" >"$COORD_TMP/api.out"
sqlite3 "$COORD_TMP/store.db" .dump >"$COORD_TMP/store.dump"
for secret in "$JSON_TOKEN" "$SLACK_TOKEN" "$HMAC_SECRET"; do
    if grep -l "$secret" "$COORD_LOG" "$COORD_TMP"/agent-*.log "$COORD_TMP/api.out" \
        "$COORD_TMP/metrics.txt" "$COORD_TMP/check-config.out" "$COORD_TMP/store.dump"; then
        e2e_fail "a webhook secret leaked into the files above"
    fi
done
coord_stop
grep -q "webhook tiny-queue: 1 undelivered event dropped (shutdown)" "$COORD_LOG" ||
    e2e_fail "no shutdown line for the event the dead hook still held"
# 5 during the waves, the abort, and the newest when the one in flight went back
assert_eq "$(grep -c 'webhook tiny-queue: queue full (1 events): event [0-9]* dropped' "$COORD_LOG")" 7 \
    "full queue: log lines after the shutdown"
coord_log "ok"
