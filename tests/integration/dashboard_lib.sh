# shellcheck shell=bash
# Helpers for the dashboard's browser tests (tests/integration/dashboard_*.sh): sourced
# after e2e_lib.sh. The browser is Debian's chromium driven by playwright-core from
# tests/browser/node_modules (deploy/install-deps.sh installs both).
#
#   dash_require_browser        node, /usr/bin/chromium and playwright-core, or skip (77;
#                               a failure under SW_TEST_REQUIRE_SERVERS=1, as in tests/run.sh)
#   dash_node SCRIPT            runs tests/browser/SCRIPT with the coordinator's URL, the
#                               tokens and E2E_WAVE exported (plus the caller's SW_*); screenshots go to
#                               DASH_OUT (the test's folder under the ctest build dir)
#   dash_wait_phase PHASE       waits (up to 60 s) for E2E_WAVE's stage_phase
DASH_BROWSER_DIR="$SW_SOURCE_DIR/tests/browser"
DASH_OUT="${SW_TEST_OUTPUT_DIR:-$PWD}"

dash_require_browser()
{
    local missing=""
    command -v node >/dev/null || missing="node"
    [[ -x ${SW_CHROMIUM:-/usr/bin/chromium} ]] || missing+=" chromium"
    [[ -d $DASH_BROWSER_DIR/node_modules/playwright-core ]] ||
        missing+=" playwright-core (npm ci in tests/browser)"
    [[ -z $missing ]] && return 0
    [[ ${SW_TEST_REQUIRE_SERVERS:-0} == 1 ]] &&
        coord_fail "missing:$missing (deploy/install-deps.sh installs them)"
    coord_log "skipped: missing:$missing (deploy/install-deps.sh installs them)"
    exit 77
}

dash_node()
{
    local script=$1
    SW_COORD_URL="http://127.0.0.1:$COORD_PORT" SW_READ_TOKEN=$READ_TOKEN SW_OP_TOKEN=$OP_TOKEN \
        SW_WAVE=$E2E_WAVE SW_TEST_OUTPUT_DIR=$DASH_OUT \
        node "$DASH_BROWSER_DIR/$script" || e2e_fail "$script failed"
}

dash_wait_phase()
{
    local want=$1 deadline=$((SECONDS + 60)) phase
    while :; do
        api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
        phase=$(jqr .stage_phase)
        [[ $phase == "$want" ]] && return 0
        ((SECONDS < deadline)) || e2e_fail "wave $E2E_WAVE: stage phase $phase, expected $want"
        sleep 0.1
    done
}
