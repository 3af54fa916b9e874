#!/usr/bin/env bash
# The configuration reference and the man pages against the binaries: the settings tables
# in docs/configuration.md and the SETTINGS of shardwave-{coordinator,agent}.conf(5) must
# list exactly the settings of `--help` (the cfgtab tables compiled in) with the same
# types, defaults, reloadability and environment variables; every option of every --help
# (and `shardwave CMD --help`) must be in the binary's man page; groff must render every
# page without a warning; the example configs must pass --check-config. Each kind of
# drift is also injected into a copy of the docs to prove the check notices it.
source "$(dirname "${BASH_SOURCE[0]}")/deploy_lib.sh"

command -v groff >/dev/null || deploy_fail "groff is not installed (deploy/install-deps.sh)"
deploy_check config-docs man

# Drift the check must notice.
tree=$(deploy_copy_tree)
sed -i 's/^| `workers` | integer | `4` |/| `workers` | integer | `8` |/' "$tree/docs/configuration.md"
deploy_expect_problem "$tree" "workers: default 8, --help says 4" config-docs
tree=$(deploy_copy_tree)
sed -i '/^| `long_poll_s` |/d' "$tree/docs/configuration.md"
deploy_expect_problem "$tree" "setting 'long_poll_s' of shardwave-coordinator --help is missing" \
    config-docs
tree=$(deploy_copy_tree)
sed -i 's/^| `fleet_file` | string | none | | yes |/| `fleet_file` | string | none | | restart |/' \
    "$tree/docs/configuration.md"
deploy_expect_problem "$tree" "fleet_file: reload 'restart', --help says 'yes'" config-docs
tree=$(deploy_copy_tree)
sed -i 's/default 500, reloadable/default 250, reloadable/' "$tree/docs/man/shardwave-coordinator.conf.5"
deploy_expect_problem "$tree" "no entry reading 'tick_ms (duration, milliseconds, 10ms..1m, default 500, reloadable)'" man
tree=$(deploy_copy_tree)
sed -i 's/\\-\\-once/\\-\\-one/g' "$tree/docs/man/shardwave-agent.1"
deploy_expect_problem "$tree" "option --once of shardwave-agent is not documented" man
tree=$(deploy_copy_tree)
sed -i 's/\\-\\-cancel\\-running/cancel running/g' "$tree/docs/man/shardwave.1"
deploy_expect_problem "$tree" "option --cancel-running of shardwave is not documented" man

# The example configurations load with the binaries' own tables.
install -m 600 "$SW_SOURCE_DIR/deploy/examples/tokens" "$DEPLOY_TMP/tokens"
out=$(SHARDWAVE_COORDINATOR_TOKENS_FILE="$DEPLOY_TMP/tokens" \
    SHARDWAVE_COORDINATOR_FLEET_FILE="$SW_SOURCE_DIR/deploy/examples/fleet.conf" \
    "$SW_BIN_DIR/shardwave-coordinator" --config "$SW_SOURCE_DIR/deploy/examples/coordinator.conf" \
    --check-config 2>&1) || deploy_fail "examples/coordinator.conf: $out"
assert_contains "$out" 'listen = "127.0.0.1:7400"' "examples/coordinator.conf --check-config"
echo "demo-agent-token-change-me" >"$DEPLOY_TMP/agent.token"
out=$(SHARDWAVE_AGENT_TOKEN_FILE="$DEPLOY_TMP/agent.token" SHARDWAVE_AGENT_STATE_DIR="$DEPLOY_TMP/state" \
    "$SW_BIN_DIR/shardwave-agent" --config "$SW_SOURCE_DIR/deploy/examples/agent.conf" \
    --check-config 2>&1) || deploy_fail "examples/agent.conf: $out"
assert_contains "$out" 'agent_id = "agent-eu-1"' "examples/agent.conf --check-config"
deploy_log "ok"
