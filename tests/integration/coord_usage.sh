#!/usr/bin/env bash
# shardwave-coordinator's command line: --version, --help (from the settings table),
# --check-config (effective settings, secrets never printed), bad options and configs.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

out=$("$COORD_BIN" --version)
[[ $out =~ ^shardwave-coordinator\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-z]+,\ protocol\ 1\.2\)$ ]] ||
    coord_fail "--version: $out"
out=$("$COORD_BIN" --help)
for needle in "--check-config" "tick_ms" "SHARDWAVE_COORDINATOR_TOKENS_FILE" "SIGHUP"; do
    assert_contains "$out" "$needle" "--help"
done

coord_setup 4
out=$("$COORD_BIN" --config "$COORD_TMP/coordinator.conf" --check-config)
assert_contains "$out" "listen = \"127.0.0.1:$COORD_PORT\"" "--check-config listen"
[[ $out != *"$OP_TOKEN"* ]] || coord_fail "--check-config printed a token"
[[ ! -e $COORD_TMP/store.db ]] || coord_fail "--check-config created the store"

rc=0
err=$("$COORD_BIN" --bogus 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status of an unknown option"
assert_contains "$err" "unknown or incomplete option '--bogus'" "unknown option message"

echo 'tik_ms = 5;' >>"$COORD_TMP/coordinator.conf"
rc=0
err=$("$COORD_BIN" --config "$COORD_TMP/coordinator.conf" 2>&1) || rc=$?
[[ $rc != 0 ]] || coord_fail "a config with an unknown setting was accepted"
assert_contains "$err" "unknown setting 'tik_ms'" "config error"
coord_log "ok"
