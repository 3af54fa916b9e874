#!/usr/bin/env bash
# The coordinator commands over https and under a stalled coordinator: a self-signed
# certificate is refused without --ca-file (exit 9, hint) and trusted with it; a
# coordinator that accepts the connection but never answers gives exit 7 after --timeout.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_remote_lib.sh
source "$here/cli_remote_lib.sh"
unset SHARDWAVE_TOKEN
command -v openssl >/dev/null || cli_fail "openssl is required"

RC_TLS_CERT="$CLI_TMP/cert.pem"
RC_TLS_KEY="$CLI_TMP/key.pem"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$RC_TLS_KEY" -out "$RC_TLS_CERT" \
    >/dev/null 2>&1 || cli_fail "openssl could not make a certificate"
chmod 600 "$RC_TLS_KEY"
rc_write_fleet 3
rc_start
[[ $RC_URL == https://* ]] || cli_fail "expected an https coordinator, got $RC_URL"

cli_expect 9 "$SHARDWAVE" fleet
assert_contains "$(head -n1 <<<"$CLI_ERR")" "shardwave: cannot reach the coordinator at $RC_URL: " \
    "untrusted certificate"
assert_eq "$(tail -n1 <<<"$CLI_ERR")" \
    "hint: for a private CA pass its certificate with --ca-file FILE" "--ca-file hint"
cli_expect 0 "$SHARDWAVE" fleet --ca-file "$RC_TLS_CERT"
assert_eq "$(grep -c '^t-00' <<<"$CLI_OUT")" "3" "fleet over https"
cli_expect 0 "$SHARDWAVE" --ca-file "$RC_TLS_CERT" wave list --json
assert_eq "$(rc_json '.waves | length')" "0" "wave list over https"
cli_expect 3 "$SHARDWAVE" fleet --ca-file "$CLI_TMP/missing.pem"
assert_eq "$CLI_ERR" "shardwave: --ca-file $CLI_TMP/missing.pem: No such file or directory" \
    "missing CA file"

# A stopped coordinator: the kernel accepts the connection, nobody answers.
kill -STOP "$RC_PID"
CLI_CLEANUPS+=("kill -CONT $RC_PID")
cli_expect 7 "$SHARDWAVE" fleet --ca-file "$RC_TLS_CERT" --timeout 1
assert_eq "$CLI_ERR" "shardwave: no answer from the coordinator at $RC_URL within 1 s
hint: is it overloaded? a longer --timeout may help" "timeout"
kill -CONT "$RC_PID"
cli_expect 0 "$SHARDWAVE" fleet --ca-file "$RC_TLS_CERT"
cli_log "ok"
