#!/usr/bin/env bash
# `--version` of every binary prints the version, the git commit and the protocol version
# (the values CMakeLists.txt builds in), and an agent refuses a coordinator whose protocol
# major version differs, with a clear message and exit 13, whether the coordinator says so
# (409 protocol_mismatch) or answers in another major; another minor of the same major is
# accepted. The coordinator is a tiny scripted stand-in (python3), so no database is used.
source "$(dirname "${BASH_SOURCE[0]}")/deploy_lib.sh"

cml="$SW_SOURCE_DIR/CMakeLists.txt"
version=$(sed -n 's/^project(shardwave VERSION \([0-9.]*\) .*/\1/p' "$cml")
protocol=$(sed -n 's/^set(SW_PROTOCOL_VERSION "\([0-9.]*\)")/\1/p' "$cml")
[[ -n $version && -n $protocol ]] || deploy_fail "cannot read the version or protocol from $cml"
commit=""
for bin in shardwave shardwave-coordinator shardwave-agent; do
    out=$("$SW_BIN_DIR/$bin" --version)
    re="^$bin ${version//./\\.} \(commit ([0-9a-f]{7,40}|unknown), protocol ${protocol//./\\.}\)$"
    [[ $out =~ $re ]] || deploy_fail "$bin --version: '$out' does not match /$re/"
    [[ -z $commit || $commit == "${BASH_REMATCH[1]}" ]] ||
        deploy_fail "$bin --version: commit ${BASH_REMATCH[1]}, the others say $commit"
    commit=${BASH_REMATCH[1]}
done

# A coordinator stand-in: MODE 409 refuses the agent's protocol; MODE X.Y answers in X.Y.
cat >"$DEPLOY_TMP/coord.py" <<'PY'
import http.server, json, sys
mode, port_file = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if mode == "409":
            status, body = 409, {"error": {"code": "protocol_mismatch",
                                           "message": "this coordinator speaks protocol 2.0"}}
        elif self.path == "/v1/agents/register":
            status, body = 200, {"protocol": mode, "lease_ttl_ms": 30000, "heartbeat_ms": 1000,
                                 "long_poll_ms": 200}
        else:
            status, body = 200, {"protocol": mode, "leases": []}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_port))
import os; os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
echo "agent-secret-0123456789abcdef" >"$DEPLOY_TMP/agent.token"

# run_agent MODE: starts the stand-in, runs `shardwave-agent --once` against it; sets
# AGENT_RC and AGENT_ERR.
run_agent()
{
    local mode=$1 dir="$DEPLOY_TMP/$1" pid
    mkdir -p "$dir"
    python3 "$DEPLOY_TMP/coord.py" "$mode" "$dir/port" &
    pid=$!
    deploy_on_exit deploy_kill "$pid"
    local deadline=$((SECONDS + 20))
    while [[ ! -s $dir/port ]]; do
        ((SECONDS < deadline)) || deploy_fail "the coordinator stand-in did not start"
        sleep 0.05
    done
    cat >"$dir/agent.conf" <<CONF
coordinator_url = "http://127.0.0.1:$(cat "$dir/port")";
token_file = "$DEPLOY_TMP/agent.token";
agent_id = "deploy-agent";
state_dir = "$dir/state";
dsn_template = "sqlite://$dir/{shard}.db";
retry_base_ms = "10ms";
retry_cap_ms = "50ms";
CONF
    AGENT_RC=0
    AGENT_ERR=$(timeout 60 "$SW_BIN_DIR/shardwave-agent" --config "$dir/agent.conf" --once 2>&1) ||
        AGENT_RC=$?
}

run_agent 409
assert_eq "$AGENT_RC" 13 "agent exit status when the coordinator refuses its protocol"
assert_contains "$AGENT_ERR" "register: 409 protocol_mismatch: this coordinator speaks protocol 2.0" \
    "agent message (409)"
run_agent 2.0
assert_eq "$AGENT_RC" 13 "agent exit status when the coordinator answers in protocol 2.0"
assert_contains "$AGENT_ERR" "version 2.0 is not supported (this side speaks $protocol)" \
    "agent message (2.0)"
run_agent "${protocol%%.*}.9"
assert_eq "$AGENT_RC" 0 "agent exit status with a coordinator of another minor version ($AGENT_ERR)"
deploy_log "ok"
