#!/usr/bin/env bash
# deploy/Dockerfile and deploy/compose.yaml without a Docker engine: hadolint when it is
# installed (Debian 12 does not package it), then deploy_check.py: a multi-stage build on
# debian:12 with a slim runtime stage, a non-root USER, a HEALTHCHECK, runtime packages
# that provide every shared library the binaries need, build packages as in
# install-deps.sh; compose services (a coordinator, two agents, PostgreSQL, MariaDB),
# mounts that exist, and every flag and SHARDWAVE_* variable known to the binaries.
# Injected mistakes must be caught. Then the demo files themselves: the agents' configs
# and the image's coordinator.conf pass --check-config, and a real coordinator loaded with
# the demo fleet plans the demo wave (canary, half, rest over 8 shards).
source "$(dirname "${BASH_SOURCE[0]}")/deploy_lib.sh"

if command -v hadolint >/dev/null; then
    out=$(hadolint "$SW_SOURCE_DIR/deploy/Dockerfile" 2>&1) || deploy_fail "hadolint: $out"
else
    deploy_log "NOTE: hadolint is not installed (not in Debian 12): structure checks only"
fi
deploy_check dockerfile compose

tree=$(deploy_copy_tree)
sed -i '/^USER /d' "$tree/deploy/Dockerfile"
deploy_expect_problem "$tree" "the runtime stage does not switch to a non-root USER" dockerfile
tree=$(deploy_copy_tree)
sed -i 's/ libpq5 / /' "$tree/deploy/Dockerfile"
deploy_expect_problem "$tree" "the runtime stage does not install libpq5" dockerfile
tree=$(deploy_copy_tree)
sed -i 's/SHARDWAVE_AGENT_STATE_DIR:/SHARDWAVE_AGENT_STATEDIR:/' "$tree/deploy/compose.yaml"
deploy_expect_problem "$tree" "environment variable SHARDWAVE_AGENT_STATEDIR is not a setting" compose
tree=$(deploy_copy_tree)
sed -i 's/"--config", "\/demo\/agent-pg.conf"/"--conf", "\/demo\/agent-pg.conf"/' "$tree/deploy/compose.yaml"
deploy_expect_problem "$tree" "shardwave-agent has no option --conf" compose
tree=$(deploy_copy_tree)
sed -i 's/"--reason", "compose demo"/"--why", "compose demo"/' "$tree/deploy/compose.yaml"
deploy_expect_problem "$tree" "shardwave has no option --why" compose
tree=$(deploy_copy_tree)
rm "$tree/deploy/compose/postgres-init.sql"
deploy_expect_problem "$tree" "mounts ./compose/postgres-init.sql, which does not exist" compose

# The demo configs load with the binaries' own settings tables.
demo="$SW_SOURCE_DIR/deploy/compose"
for pool in pg mysql; do
    out=$(SHARDWAVE_AGENT_TOKEN_FILE="$demo/agent.token" SHARDWAVE_AGENT_STATE_DIR="$DEPLOY_TMP/state" \
        SHARDWAVE_AGENT_PASSWORD_FILE="$demo/migrator.password" SHARDWAVE_AGENT_AGENT_ID="agent-$pool" \
        "$SW_BIN_DIR/shardwave-agent" --config "$demo/agent-$pool.conf" --check-config 2>&1) ||
        deploy_fail "compose/agent-$pool.conf: $out"
    assert_contains "$out" "pools = [\"$pool\"]" "compose/agent-$pool.conf --check-config"
done
install -m 600 "$demo/tokens" "$DEPLOY_TMP/tokens"
out=$(SHARDWAVE_COORDINATOR_TOKENS_FILE="$DEPLOY_TMP/tokens" \
    "$SW_BIN_DIR/shardwave-coordinator" --config "$SW_SOURCE_DIR/deploy/docker/coordinator.conf" \
    --check-config 2>&1) || deploy_fail "docker/coordinator.conf: $out"
assert_contains "$out" 'listen = "0.0.0.0:7400"' "docker/coordinator.conf --check-config"

# A coordinator with the demo fleet, tokens and plan (as compose runs it, on 127.0.0.1).
port=0
for ((p = 20000 + RANDOM % 30000; ; p++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        port=$p
        break
    fi
done
SHARDWAVE_COORDINATOR_LISTEN="127.0.0.1:$port" SHARDWAVE_COORDINATOR_STORE_PATH="$DEPLOY_TMP/store.db" \
    SHARDWAVE_COORDINATOR_TOKENS_FILE="$DEPLOY_TMP/tokens" SHARDWAVE_COORDINATOR_FLEET_FILE="$demo/fleet.conf" \
    "$SW_BIN_DIR/shardwave-coordinator" --config "$SW_SOURCE_DIR/deploy/docker/coordinator.conf" \
    >"$DEPLOY_TMP/coordinator.log" 2>&1 &
coord_pid=$!
deploy_on_exit deploy_kill "$coord_pid"
deadline=$((SECONDS + 30))
until curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$port/healthz"; do
    kill -0 "$coord_pid" 2>/dev/null || deploy_fail "the coordinator exited: $(cat "$DEPLOY_TMP/coordinator.log")"
    ((SECONDS < deadline)) || deploy_fail "the coordinator did not answer /healthz"
    sleep 0.05
done
out=$("$SW_BIN_DIR/shardwave" plan --coordinator "http://127.0.0.1:$port" \
    --token-file "$demo/operator.token" --plan "$demo/plan.conf" \
    --migrations "$SW_SOURCE_DIR/deploy/examples/migrations" --json 2>&1) ||
    deploy_fail "shardwave plan of the compose demo: $out"
assert_eq "$(jq -r '[.stages[].name] | join(",")' <<<"$out")" "canary,half,rest" "demo plan stages"
assert_eq "$(jq -r '.stages[0].shards | map(.id) | join(",")' <<<"$out")" pg_tenant_01 "demo canary"
assert_eq "$(jq -r '[.stages[].shards[]] | length' <<<"$out")" 8 "shards in the demo wave"
assert_eq "$(jq -r '[.stages[].shards[].engine] | unique | join(",")' <<<"$out")" "mysql,pg" \
    "engines in the demo wave"
kill -TERM "$coord_pid"
rc=0
wait "$coord_pid" || rc=$?
assert_eq "$rc" 0 "coordinator exit status after SIGTERM"
deploy_log "ok"
