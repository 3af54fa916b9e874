#!/usr/bin/env bash
# `shardwave wave status ID --watch` against a real coordinator and two real agents over
# 4 SQLite shards. Under a pty (`script -q -e -c`): the frames are redrawn in place
# (cursor up), carry progress bars and ANSI colours, end with the completed wave and
# exit 0; with NO_COLOR=1 there is no colour. Piped: plain timestamped lines, no escape
# sequences, and the exit status says how the wave ended: 20 halted (a failing V3),
# 22 rolled back, 21 aborted. --watch with --json is refused (exit 2).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

command -v script >/dev/null || e2e_fail "script (util-linux) is required"
SW="$SW_BIN_DIR/shardwave"

e2e_setup 0 0 4
e2e_write_set "$COORD_TMP/set" 3
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
printf '%s\n' "$READ_TOKEN" >"$COORD_TMP/read.token"
chmod 600 "$COORD_TMP/read.token"
remote=(--coordinator "http://127.0.0.1:$COORD_PORT" --token-file "$COORD_TMP/read.token")

# Runs the watch under a pty; sets WATCH_RC and WATCH_OUT (the typescript).
watch_pty()
{
    local wave=$1 env=${2:-}
    WATCH_OUT=$COORD_TMP/typescript-$wave$env
    WATCH_RC=0
    env -u NO_COLOR $env script -q -e -c "$(printf '%q ' "$SW" wave status "$wave" --watch "${remote[@]}")" \
        "$WATCH_OUT" </dev/null >/dev/null || WATCH_RC=$?
}
# Runs the watch with stdout not a terminal (a file); sets WATCH_RC and WATCH_OUT.
watch_pipe()
{
    local wave=$1
    WATCH_OUT=$COORD_TMP/piped-$wave
    WATCH_RC=0
    "$SW" wave status "$wave" --watch "${remote[@]}" >"$WATCH_OUT" || WATCH_RC=$?
}
esc=$'\033'

# 1. A TTY: the canary bakes 2 s, so the frame is drawn more than once, in place.
e2e_wave '{"name": "to 2", "target": "2", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1, "bake_seconds": 2},
  {"name": "rest", "rest": true, "max_parallel": 4}]}'
first=$E2E_WAVE
watch_pty "$first"
assert_eq "$WATCH_RC" 0 "watch exit status of a completed wave"
assert_eq "$(e2e_wave_state)" completed "the wave"
grep -q "${esc}\[[0-9]*A" "$WATCH_OUT" || e2e_fail "no in-place redraw (cursor up) in the pty output"
grep -q "${esc}\[32m" "$WATCH_OUT" || e2e_fail "no colour on the pty"
last_frame=$(sed "s/${esc}\[[0-9;]*[A-Za-z]//g" "$WATCH_OUT" | tr '\r' '\n' | grep -E '^wave |^[ >] +[0-9]+ ' | tail -n 3)
assert_contains "$last_frame" "wave $first: completed" "the last frame's header"
assert_contains "$last_frame" "1 canary       [##############################]     1/1     done" \
    "the canary's bar"
assert_contains "$last_frame" "2 rest         [##############################]     3/3     done" \
    "the rest's bar"

# NO_COLOR: still redrawn on a TTY (escape sequences to move), but no colour.
watch_pty "$first" NO_COLOR=1
assert_eq "$WATCH_RC" 0 "watch exit status with NO_COLOR"
if grep -q "${esc}\[3[0-9]m\|${esc}\[1m" "$WATCH_OUT"; then
    e2e_fail "colour despite NO_COLOR"
fi
assert_contains "$(cat "$WATCH_OUT")" "wave $first: completed" "NO_COLOR frame"

# 2. Piped: plain lines; a failing V3 halts the wave (exit 20).
e2e_wave '{"name": "to 3", "target": "3", "stages": [{"name": "all", "rest": true, "max_parallel": 1}]}'
second=$E2E_WAVE
watch_pipe "$second"
assert_eq "$WATCH_RC" 20 "watch exit status of a halted wave"
if grep -q "$esc" "$WATCH_OUT"; then
    e2e_fail "escape sequences in piped output: $(cat -v "$WATCH_OUT")"
fi
grep -qE "^[0-9-]+ [0-9:.]+ wave $second halted, stage 1/1 all \([a-z]+\): 0/4 done, 0 running, 1 failed, 3 pending; halted: " \
    "$WATCH_OUT" || e2e_fail "no halted line: $(cat "$WATCH_OUT")"

# 3. Rolled back (exit 22), then a third wave halts again and is aborted (exit 21).
api_expect 200 POST "/v1/waves/$second/rollback" "$OP_TOKEN"
watch_pipe "$second"
assert_eq "$WATCH_RC" 22 "watch exit status of a rolled back wave"
assert_contains "$(tail -n 1 "$WATCH_OUT")" "wave $second rolled_back" "the last piped line"
e2e_wave '{"name": "to 3 again", "target": "3", "stages": [{"name": "all", "rest": true, "max_parallel": 1}]}'
e2e_wait_state halted
api_expect 200 POST "/v1/waves/$E2E_WAVE/abort" "$OP_TOKEN"
watch_pipe "$E2E_WAVE"
assert_eq "$WATCH_RC" 21 "watch exit status of an aborted wave"

# 4. --watch is for people: with --json it is refused.
rc=0
err=$("$SW" wave status "$first" --watch --json "${remote[@]}" 2>&1 >/dev/null) || rc=$?
assert_eq "$rc" 2 "--watch --json exit status"
assert_contains "$err" "wave status: --watch and --json cannot be combined" "--watch --json message"
coord_log "ok"
