#!/usr/bin/env bash
# deploy/k8s/ without a cluster: kubeconform when it is installed (Debian 12 does not
# package it), then deploy_check.py: known kinds and apiVersions, DNS-1123 names,
# selectors that match pod labels, volumes, Secrets and ConfigMaps that exist, non-root
# pods without privilege escalation; the coordinator as a StatefulSet with its SQLite
# store on a claimed volume, /healthz probes on its port, tokens from a Secret and a
# Service in front; agents as a Deployment with token and DSNs from a Secret; every flag
# and SHARDWAVE_* variable known to the binaries. Injected mistakes must be caught. The
# configuration files inside the ConfigMaps and Secrets pass --check-config.
source "$(dirname "${BASH_SOURCE[0]}")/deploy_lib.sh"

k8s="$SW_SOURCE_DIR/deploy/k8s"
if command -v kubeconform >/dev/null; then
    out=$(kubeconform -strict -summary "$k8s"/coordinator.yaml "$k8s"/agent.yaml 2>&1) ||
        deploy_fail "kubeconform: $out"
else
    deploy_log "NOTE: kubeconform is not installed (not in Debian 12): structure checks only"
fi
deploy_check k8s

tree=$(deploy_copy_tree)
sed -i 's|mountPath: /var/lib/shardwave$|mountPath: /data|' "$tree/deploy/k8s/coordinator.yaml"
deploy_expect_problem "$tree" "store /var/lib/shardwave/coordinator.db is not on a claimed volume" k8s
tree=$(deploy_copy_tree)
sed -i 's/secretName: shardwave-agent$/secretName: shardwave-agent-dsns/' "$tree/deploy/k8s/agent.yaml"
deploy_expect_problem "$tree" "names Secret shardwave-agent-dsns, not defined" k8s
tree=$(deploy_copy_tree)
sed -i 's/path: \/healthz/path: \/health/' "$tree/deploy/k8s/coordinator.yaml"
deploy_expect_problem "$tree" "readinessProbe is not GET /healthz" k8s
tree=$(deploy_copy_tree)
sed -i 's/- name: SHARDWAVE_AGENT_WORKERS/- name: SHARDWAVE_AGENT_THREADS/' "$tree/deploy/k8s/agent.yaml"
deploy_expect_problem "$tree" "environment variable SHARDWAVE_AGENT_THREADS is not a setting" k8s
tree=$(deploy_copy_tree)
sed -i 's/^      app.kubernetes.io\/name: shardwave-agent$/      app: shardwave-agent/' "$tree/deploy/k8s/agent.yaml"
deploy_expect_problem "$tree" "does not match the pod labels" k8s

# The files the pods would see, extracted from the ConfigMaps and Secrets.
python3 - "$k8s" "$DEPLOY_TMP/files" <<'PY'
import os, sys, yaml
src, out = sys.argv[1], sys.argv[2]
for name in ("coordinator.yaml", "agent.yaml"):
    for doc in yaml.safe_load_all(open(os.path.join(src, name))):
        files = doc.get("data") if doc["kind"] == "ConfigMap" else doc.get("stringData")
        for key, value in (files or {}).items():
            d = os.path.join(out, doc["metadata"]["name"])
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, key), "w") as f:
                f.write(value)
PY
files="$DEPLOY_TMP/files"
chmod 600 "$files/shardwave-tokens/tokens"
out=$(SHARDWAVE_COORDINATOR_TOKENS_FILE="$files/shardwave-tokens/tokens" \
    SHARDWAVE_COORDINATOR_FLEET_FILE="$files/shardwave-coordinator/fleet.conf" \
    SHARDWAVE_COORDINATOR_STORE_PATH="$DEPLOY_TMP/store.db" \
    "$SW_BIN_DIR/shardwave-coordinator" --config "$files/shardwave-coordinator/coordinator.conf" \
    --check-config 2>&1) || deploy_fail "the coordinator ConfigMap's coordinator.conf: $out"
assert_contains "$out" 'listen = "0.0.0.0:7400"' "k8s coordinator.conf --check-config"
out=$(SHARDWAVE_AGENT_TOKEN_FILE="$files/shardwave-agent/agent.token" \
    SHARDWAVE_AGENT_PASSWORD_FILE="$files/shardwave-agent/migrator.password" \
    SHARDWAVE_AGENT_SHARDS_FILE="$files/shardwave-agent/shards.conf" \
    SHARDWAVE_AGENT_STATE_DIR="$DEPLOY_TMP/state" SHARDWAVE_AGENT_AGENT_ID=shardwave-agent-0 \
    "$SW_BIN_DIR/shardwave-agent" --config "$files/shardwave-agent/agent.conf" --check-config 2>&1) ||
    deploy_fail "the agent ConfigMap's agent.conf: $out"
assert_contains "$out" 'pools = ["eu"]' "k8s agent.conf --check-config"
[[ $out != *demo-migrator-password* && $out != *demo-agent-token* ]] ||
    deploy_fail "agent --check-config printed a secret: $out"
deploy_log "ok"
