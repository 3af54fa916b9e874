#!/usr/bin/env bash
# Coordinator commands without a coordinator: --help pages, argument errors (exit 2,
# exact messages), the coordinator URL and token from flags, files and the environment,
# global options before the command, and an unreachable coordinator (exit 9).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"
# shellcheck source=tests/lib/servers.sh
source "$here/../lib/servers.sh"
unset SHARDWAVE_COORDINATOR SHARDWAVE_TOKEN_FILE SHARDWAVE_TOKEN

cli_expect 0 "$SHARDWAVE" --help
top_help=$CLI_OUT
for c in fleet plan wave; do
    assert_contains "$top_help" "  $c " "top-level help lists $c"
    cli_expect 0 "$SHARDWAVE" "$c" --help
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "GLOBAL OPTIONS" "EXIT STATUS" ENVIRONMENT \
        EXAMPLES; do
        assert_contains "$CLI_OUT" "$section" "$c --help has $section"
    done
    assert_contains "$CLI_OUT" "shardwave $c" "$c --help synopsis"
    help_text=$CLI_OUT
    cli_expect 0 "$SHARDWAVE" help "$c"
    assert_eq "$CLI_OUT" "$help_text" "shardwave help $c"
done
for sub in start list status pause resume abort rollback events; do
    cli_expect 0 "$SHARDWAVE" wave "$sub" --help
    assert_contains "$CLI_OUT" "shardwave wave $sub" "wave $sub --help"
done

# Argument errors: exit 2 before any request.
cli_expect 2 "$SHARDWAVE" fleet
assert_eq "$CLI_ERR" "shardwave: fleet: no coordinator given
hint: use --coordinator URL or set SHARDWAVE_COORDINATOR (e.g. http://127.0.0.1:7400)" \
    "no coordinator"
cli_expect 2 "$SHARDWAVE" fleet --coordinator http://127.0.0.1:9
assert_eq "$CLI_ERR" "shardwave: fleet: no token given
hint: use --token-file FILE, or set SHARDWAVE_TOKEN_FILE or SHARDWAVE_TOKEN" "no token"
cli_expect 2 env SHARDWAVE_TOKEN=x "$SHARDWAVE" fleet --coordinator ftp://example.org
assert_eq "$CLI_ERR" "shardwave: coordinator URL 'ftp://example.org': scheme must be http or https
hint: e.g. --coordinator https://coordinator.internal:7400" "bad scheme"
cli_expect 2 env SHARDWAVE_TOKEN="two words" "$SHARDWAVE" fleet --coordinator http://h
assert_eq "$CLI_ERR" "shardwave: SHARDWAVE_TOKEN: the token may only contain visible ASCII characters" \
    "token with a space"
cli_expect 3 "$SHARDWAVE" fleet --coordinator http://h --token-file "$CLI_TMP/none"
assert_contains "$CLI_ERR" "shardwave: token file" "missing token file"
: >"$CLI_TMP/empty"
cli_expect 2 "$SHARDWAVE" fleet --coordinator http://h --token-file "$CLI_TMP/empty"
assert_eq "$CLI_ERR" "shardwave: token file $CLI_TMP/empty: the token is empty" "empty token file"
cli_expect 2 "$SHARDWAVE" fleet bogus
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: fleet: unknown argument 'bogus'" "fleet bogus"
cli_expect 2 "$SHARDWAVE" fleet reload --drift
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: fleet reload: option '--drift' does not apply here" \
    "reload --drift"
cli_expect 2 "$SHARDWAVE" fleet --plan x
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: fleet: option '--plan' does not apply here" \
    "fleet --plan"
cli_expect 2 "$SHARDWAVE" fleet --timeout soon
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: fleet: --timeout: 'soon' is not a whole number" \
    "--timeout soon"
cli_expect 2 "$SHARDWAVE" plan --plan p.conf
assert_eq "$CLI_ERR" "shardwave: plan: --migrations DIR is required
hint: e.g. shardwave plan --plan plan.conf --migrations db/migrations" "plan without dir"
cli_expect 2 "$SHARDWAVE" wave
assert_eq "$CLI_ERR" "shardwave: wave: missing subcommand
hint: use start, list, status, pause, resume, abort, rollback or events; see 'shardwave wave --help'" \
    "wave alone"
cli_expect 2 "$SHARDWAVE" wave frob
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: wave: unknown subcommand 'frob'" "wave frob"
cli_expect 2 "$SHARDWAVE" wave status
assert_eq "$CLI_ERR" "shardwave: wave status: the wave ID is required
hint: usage: shardwave wave status ID [--watch]" "status without ID"
cli_expect 2 "$SHARDWAVE" wave status w-1 w-2
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: wave status: unexpected argument 'w-2'" "two IDs"
cli_expect 2 "$SHARDWAVE" wave pause w-1 --cancel-running
assert_eq "$(head -n1 <<<"$CLI_ERR")" \
    "shardwave: wave pause: option '--cancel-running' does not apply here" "pause --cancel-running"
cli_expect 2 "$SHARDWAVE" wave start --migrations d
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: wave start: --plan FILE is required" \
    "start without plan"
cli_expect 2 "$SHARDWAVE" wave list --state sleeping
assert_eq "$CLI_ERR" "shardwave: wave list: --state: unknown state 'sleeping'
hint: use pending, running, paused, halted, completed, aborted, rolling_back or rolled_back" \
    "unknown state"
# Global options before the command (and before the wave subcommand) are the same.
cli_expect 2 "$SHARDWAVE" --coordinator ftp://x --json wave status w-1
assert_contains "$CLI_ERR" "coordinator URL 'ftp://x'" "global options before the command"
cli_expect 2 "$SHARDWAVE" wave --timeout=0 status w-1
assert_eq "$(head -n1 <<<"$CLI_ERR")" \
    "shardwave: wave status: --timeout: 0 is out of range [1, 3600]" "options before the subcommand"

# Nothing listens: exit 9 with the URL and a hint; the token comes from the environment.
port=$(sw_free_port)
cli_expect 9 env SHARDWAVE_TOKEN=some-token SHARDWAVE_COORDINATOR="http://127.0.0.1:$port/" \
    "$SHARDWAVE" wave list
assert_contains "$CLI_ERR" "shardwave: cannot reach the coordinator at http://127.0.0.1:$port:" \
    "connection refused"
assert_contains "$CLI_ERR" "hint: is shardwave-coordinator running there?" "refused hint"
echo "some-token" >"$CLI_TMP/token"
cli_expect 9 env SHARDWAVE_TOKEN_FILE="$CLI_TMP/token" "$SHARDWAVE" fleet \
    --coordinator "http://127.0.0.1:$port"
cli_log "ok"
