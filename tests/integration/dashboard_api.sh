#!/usr/bin/env bash
# The dashboard's HTTP side without a browser: the page and its files are public, served
# byte for byte as in coordinator/http/dashboard/ with their Content-Type, an ETag (304 on
# If-None-Match), Cache-Control, a strict Content-Security-Policy, nosniff and no framing;
# the page has no inline script or style. GET /v1/waves/{id}/grid (read): one compact row
# per shard, the stages with counts, an ETag "<id>.<revision>" answered 304 while the wave
# is unchanged and 200 again after a transition; 401 without a token, 404 for an unknown
# wave. GET /v1/fleet?shards=false: the histogram and drift without the shard list.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

coord_setup 24
coord_start
base="http://127.0.0.1:$COORD_PORT"
src="$SW_SOURCE_DIR/coordinator/http/dashboard"

# GET PATH [HEADER...]: sets H (headers, CR stripped), B (body file), S (status).
get()
{
    local p=$1
    shift
    local -a args=(-s -S -m 10 -D "$COORD_TMP/h" -o "$COORD_TMP/b" -w '%{http_code}')
    local x
    for x in "$@"; do
        args+=(-H "$x")
    done
    rm -f "$COORD_TMP/b"
    S=$(curl "${args[@]}" "$base$p")
    touch "$COORD_TMP/b"
    H=$(tr -d '\r' <"$COORD_TMP/h")
    B=$COORD_TMP/b
}
header()
{
    sed -n "s/^$1: //Ip" <<<"$H" | head -n 1
}

csp="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
for f in index.html:/ app.js:/ui/app.js app.css:/ui/app.css favicon.svg:/ui/favicon.svg; do
    file=${f%%:*}
    path=${f#*:}
    get "$path"
    assert_eq "$S" 200 "GET $path"
    cmp -s "$B" "$src/$file" || coord_fail "GET $path: not the bytes of $file"
    case $file in
    *.html) type="text/html; charset=utf-8" ;;
    *.js) type="text/javascript; charset=utf-8" ;;
    *.css) type="text/css; charset=utf-8" ;;
    *.svg) type="image/svg+xml" ;;
    esac
    assert_eq "$(header Content-Type)" "$type" "$path Content-Type"
    assert_eq "$(header Content-Security-Policy)" "$csp" "$path CSP"
    assert_eq "$(header X-Content-Type-Options)" nosniff "$path nosniff"
    assert_eq "$(header X-Frame-Options)" DENY "$path framing"
    assert_eq "$(header Cache-Control)" no-cache "$path Cache-Control"
    etag=$(header ETag)
    [[ $etag =~ ^\"[0-9a-f]{32}\"$ ]] || coord_fail "$path ETag: '$etag'"
    get "$path" "If-None-Match: $etag"
    assert_eq "$S" 304 "$path with its ETag"
    assert_eq "$(stat -c %s "$B")" 0 "$path 304 body"
    get "$path" 'If-None-Match: "0123"'
    assert_eq "$S" 200 "$path with another ETag"
done
# Nothing inline: the CSP would block it.
if grep -Eq '<script>|<script [^>]*>[^<]|<style|style=| on[a-z]+=' "$src/index.html"; then
    coord_fail "index.html has inline script or style"
fi
get /ui/nope.js
assert_eq "$S" 404 "unknown file"
assert_eq "$(jq -r .error.message "$B")" "no such dashboard file: nope.js" "unknown file message"
get /ui/index.html
assert_eq "$S" 404 "index.html under /ui/"
api POST / "" '{}'
assert_eq "$API_STATUS" 405 "POST /"

# The fleet without its shard list (what the dashboard polls).
api_expect 200 GET "/v1/fleet?shards=false" "$READ_TOKEN"
assert_eq "$(jqr '[has("shards"), .n_shards, (.histogram | length), has("drift"), has("inventory")] | map(tostring) | join(" ")')" \
    "false 24 1 true true" "fleet?shards=false"
api_expect 200 GET "/v1/fleet?shards=true" "$READ_TOKEN"
assert_eq "$(jqr '[(.shards | length), has("n_shards")] | map(tostring) | join(" ")')" "24 false" "fleet?shards=true"
api_expect 400 GET "/v1/fleet?shards=no" "$READ_TOKEN"
assert_eq "$(jqr .error.message)" "query 'shards' must be true or false" "fleet?shards=no"

# The grid of a wave. No agents: once the canary is dispatched (leased) and the wave is
# paused, nothing changes until the resume.
coord_upload_set "$COORD_TMP/set"
api_expect 201 POST /v1/waves "$OP_TOKEN" \
    "$(jq -n --arg d "$COORD_DIGEST" --argjson p "$(coord_plan_json)" '{migration_set: $d, plan: $p}')"
wave=$(jqr .id)
dispatched() { api GET "/v1/waves/$wave" "$READ_TOKEN" && [[ $(jqr .counts.leased) == 1 ]]; }
wait_for "the canary to be dispatched" dispatched
api_expect 200 POST "/v1/waves/$wave/pause" "$OP_TOKEN" '{"reason": "dashboard api"}'

api_expect 401 GET "/v1/waves/$wave/grid"
get "/v1/waves/$wave/grid" "Authorization: Bearer $READ_TOKEN"
assert_eq "$S" 200 "grid"
API_BODY=$(cat "$B")
assert_eq "$(header Content-Type)" application/json "grid Content-Type"
assert_eq "$(header Cache-Control)" no-cache "grid Cache-Control"
rev=$(jqr .revision)
assert_eq "$(header ETag)" "\"$wave.$rev\"" "grid ETag"
assert_eq "$(jqr '[.id, .state, .target, .direction, .created_by] | join(" ")')" \
    "$wave paused 2 up ops-oncall" "grid summary"
assert_eq "$(jqr '.states | join(",")')" \
    "pending,leased,running,done,failed,skipped,rb_pending,rb_leased,rb_running,rolled_back,rb_failed" \
    "grid states"
assert_eq "$(jqr '[.stages[] | "\(.index):\(.name):\(.counts.leased):\(.counts.pending)"] | join(" ")')" \
    "0:canary:1:0 1:quarter:0:6 2:rest:0:17" "grid stages"
assert_eq "$(jqr '.shards | length')" 24 "grid rows"
assert_eq "$(jqr '.shards[0] | map(tostring) | join(" ")')" "t-001 0 1 0 2" "the canary's row"
assert_eq "$(jqr '.states[.shards[1][2]]')" pending "a pending shard's state"
assert_eq "$(jqr '[.shards[] | .[1]] as $s | $s == ($s | sort)')" true "rows by stage"
assert_eq "$(jqr '[.shards[] | .[0]] | unique | length')" 24 "every shard once"
assert_eq "$(jqr '.errors | length')" 0 "grid errors"
assert_eq "$(jqr '"\(.counts.leased) \(.counts.pending)"')" "1 23" "grid counts"
etag=$(header ETag)
get "/v1/waves/$wave/grid" "Authorization: Bearer $READ_TOKEN" "If-None-Match: $etag"
assert_eq "$S" 304 "grid with the current ETag"
assert_eq "$(stat -c %s "$B")" 0 "grid 304 body"
assert_eq "$(header ETag)" "$etag" "grid 304 ETag"

api_expect 200 POST "/v1/waves/$wave/resume" "$OP_TOKEN"
get "/v1/waves/$wave/grid" "Authorization: Bearer $READ_TOKEN" "If-None-Match: $etag"
assert_eq "$S" 200 "grid after a transition"
API_BODY=$(cat "$B")
assert_eq "$(jqr .state)" running "grid state after resume"
(($(jqr .revision) > rev)) || coord_fail "the revision did not grow"
assert_eq "$(header ETag)" "\"$wave.$(jqr .revision)\"" "grid ETag after resume"

api_expect 404 GET /v1/waves/w-00000000/grid "$READ_TOKEN"
assert_eq "$(jqr .error.code)" not_found "unknown wave"
get /v1/waves/w-00000000/grid "Authorization: Bearer $READ_TOKEN" 'If-None-Match: "w-00000000.1"'
assert_eq "$S" 404 "unknown wave with an ETag"

coord_stop
coord_log "ok"
