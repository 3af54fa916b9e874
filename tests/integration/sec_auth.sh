#!/usr/bin/env bash
# Every endpoint requires a token and roles are enforced (issue 6, "Security"): a table
# over the coordinator's whole route table (checked against coordinator/http/http_api.c, so
# a new route must be added here) × caller (no token, unknown token, read, operator,
# agent). A caller without a (known) token gets 401 unauthorized, a known token with the
# wrong role 403 forbidden, an allowed one gets past auth (any status but 401/403, never
# 5xx). Tokens are compared in constant time (CRYPTO_memcmp, coordinator/config/tokens.c).
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

coord_setup 4
coord_start

# method path role (the role the route needs: public, read, operator, agent)
ROUTES=(
    "GET /healthz public"
    "GET / public"
    "GET /ui/{file} public"
    "GET /metrics read"
    "GET /v1/fleet read"
    "POST /v1/fleet/reload operator"
    "POST /v1/fleet/inventory operator"
    "PUT /v1/fleet/shards/{id} operator"
    "POST /v1/migration-sets operator"
    "GET /v1/migration-sets/{digest} read"
    "POST /v1/plans read"
    "POST /v1/waves operator"
    "GET /v1/waves read"
    "GET /v1/waves/{id} read"
    "GET /v1/waves/{id}/events read"
    "GET /v1/waves/{id}/grid read"
    "POST /v1/waves/{id}/pause operator"
    "POST /v1/waves/{id}/resume operator"
    "POST /v1/waves/{id}/abort operator"
    "POST /v1/waves/{id}/rollback operator"
    "POST /v1/agents/register agent"
    "POST /v1/leases agent"
    "POST /v1/leases/{lease}/start agent"
    "POST /v1/heartbeat agent"
    "POST /v1/reports agent"
)

# The table above is the server's route table.
src_routes=$(grep -oE '\{HTTP_(GET|POST|PUT|DELETE), "[^"]+", HTTP_ROLE_[A-Z]+' \
    "$SW_SOURCE_DIR/coordinator/http/http_api.c" |
    sed -E 's/\{HTTP_([A-Z]+), "([^"]+)", HTTP_ROLE_([A-Z]+)/\1 \2 \3/' | tr '[:upper:]' '[:lower:]' | sort)
test_routes=$(printf '%s\n' "${ROUTES[@]}" | tr '[:upper:]' '[:lower:]' | sort)
[[ -n $src_routes ]] || coord_fail "no routes found in coordinator/http/http_api.c"
[[ $src_routes == "$test_routes" ]] ||
    coord_fail "the route table changed; update ROUTES: $(diff <(echo "$src_routes") <(echo "$test_routes") || true)"

# expected NEED CALLER: the status class for a caller on a route needing role NEED.
expected()
{
    local need=$1 caller=$2
    [[ $need == public ]] && echo pass && return
    case $caller in
    none | unknown) echo 401 ;;
    read) [[ $need == read ]] && echo pass || echo 403 ;;
    operator) [[ $need == read || $need == operator ]] && echo pass || echo 403 ;;
    agent) [[ $need == agent ]] && echo pass || echo 403 ;;
    esac
}

declare -A TOKEN=([none]="" [unknown]="unknown-secret-0123456789abcdef" [read]=$READ_TOKEN
    [operator]=$OP_TOKEN [agent]=$AGENT_TOKEN)
checked=0
for r in "${ROUTES[@]}"; do
    read -r method path need <<<"$r"
    url=${path//\{id\}/w-00000000}
    url=${url//\{digest\}/$(printf '0%.0s' {1..64})}
    url=${url//\{lease\}/l-00000000}
    url=${url//\{file\}/app.js}
    for caller in none unknown read operator agent; do
        want=$(expected "$need" "$caller")
        body=""
        [[ $method != GET ]] && body='{}'
        # An allowed PUT with an empty object is refused by validation, never applied.
        api "$method" "$url" "${TOKEN[$caller]}" "$body"
        case $want in
        pass)
            [[ $API_STATUS =~ ^[1-4][0-9][0-9]$ && $API_STATUS != 401 && $API_STATUS != 403 ]] ||
                coord_fail "$caller on $method $path: expected to pass auth, got $API_STATUS"
            ;;
        401)
            assert_eq "$API_STATUS" 401 "$caller on $method $path"
            assert_eq "$(jqr .error.code)" unauthorized "$caller on $method $path: code"
            ;;
        403)
            assert_eq "$API_STATUS" 403 "$caller on $method $path"
            assert_eq "$(jqr .error.code)" forbidden "$caller on $method $path: code"
            assert_contains "$(jqr .error.message)" "may not $method" "$caller on $method $path: message"
            ;;
        esac
        checked=$((checked + 1))
    done
done

# The bearer scheme only; the token is the whole value.
api_expect 401 GET /v1/fleet ""
assert_eq "$(jqr .error.message)" "missing bearer token" "no token: message"
status=$(curl -s -o /dev/null -w '%{http_code}' -u "viewer:$READ_TOKEN" "http://127.0.0.1:$COORD_PORT/v1/fleet")
assert_eq "$status" 401 "basic auth with a valid secret"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${READ_TOKEN}x" \
    "http://127.0.0.1:$COORD_PORT/v1/fleet")
assert_eq "$status" 401 "a token with a suffix"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${READ_TOKEN:0:20}" \
    "http://127.0.0.1:$COORD_PORT/v1/fleet")
assert_eq "$status" 401 "a prefix of a token"
# Concretely: an agent token cannot pause a wave, a read token cannot change anything.
api_expect 403 POST /v1/waves/w-00000000/pause "$AGENT_TOKEN" '{}'
api_expect 403 PUT /v1/fleet/shards/t-999 "$READ_TOKEN" '{"engine": "pg", "pool": "eu"}'
api_expect 200 GET /v1/fleet "$READ_TOKEN"
assert_eq "$(jqr '.shards | length')" 4 "no shard was added by the read token"

coord_stop
coord_log "ok: ${#ROUTES[@]} routes x 5 callers = $checked checks"
