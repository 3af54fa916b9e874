# shellcheck shell=bash
# Helpers for the deployment tests (tests/integration/deploy_*.sh). Sourced, not run.
#
#   DEPLOY_TMP              a fresh temp dir, removed on exit (with everything deploy_on_exit
#                           registered, run first, in reverse order)
#   deploy_on_exit CMD...   run CMD at exit (cleanup that must happen even on failure)
#   deploy_kill PID         SIGTERM PID if it still runs (deploy_on_exit deploy_kill PID)
#   deploy_fail MSG         print and exit 1; deploy_log MSG prints a progress line
#   deploy_check CHECK...   tests/integration/deploy_check.py on the source tree; fails on
#                           any problem it prints
#   deploy_expect_problem TREE NEEDLE CHECK...  the checker run on a mutated copy TREE must
#                           report NEEDLE (proves the check notices that kind of drift)
#   deploy_copy_tree        a copy of docs/ and deploy/ to mutate; prints its path
#   assert_eq ACTUAL EXPECTED WHAT / assert_contains TEXT NEEDLE WHAT
set -euo pipefail

DEPLOY_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SW_BIN_DIR=${SW_BIN_DIR:-$SW_SOURCE_DIR/build/bin}
SW_BUILD_DIR=${SW_BUILD_DIR:-$(dirname "$SW_BIN_DIR")}
DEPLOY_CHECK="$SW_SOURCE_DIR/tests/integration/deploy_check.py"
DEPLOY_TMP=$(mktemp -d "${SW_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sw_${DEPLOY_TEST_NAME}.XXXXXX")
DEPLOY_EXIT_CMDS=()
# deploy_check.py keeps each --help it runs here (the sanitizer builds start slowly).
export DEPLOY_HELP_CACHE="$DEPLOY_TMP/help"

deploy_log()
{
    printf '%s: %s\n' "$DEPLOY_TEST_NAME" "$*" >&2
}

deploy_fail()
{
    printf '%s: FAIL: %s\n' "$DEPLOY_TEST_NAME" "$*" >&2
    exit 1
}

deploy_on_exit()
{
    DEPLOY_EXIT_CMDS+=("$(printf '%q ' "$@")")
}

# deploy_kill PID: SIGTERM to a process this test started, if it still runs (for deploy_on_exit).
deploy_kill()
{
    kill "$1" 2>/dev/null || true
}

deploy_cleanup()
{
    local i
    for ((i = ${#DEPLOY_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
        eval "${DEPLOY_EXIT_CMDS[i]}" || deploy_log "cleanup step failed: ${DEPLOY_EXIT_CMDS[i]}"
    done
    rm -rf "$DEPLOY_TMP"
}
trap deploy_cleanup EXIT

assert_eq()
{
    [[ $1 == "$2" ]] || deploy_fail "$3: got '$1', expected '$2'"
}

assert_contains()
{
    [[ $1 == *"$2"* ]] || deploy_fail "$3: '$2' not in: $1"
}

deploy_check()
{
    local out rc=0
    out=$(python3 "$DEPLOY_CHECK" "$SW_BIN_DIR" "$SW_SOURCE_DIR" "$@" 2>&1) || rc=$?
    ((rc == 0)) || deploy_fail "deploy_check.py $*: $out"
}

deploy_copy_tree()
{
    local tree
    tree=$(mktemp -d "$DEPLOY_TMP/tree.XXXXXX")
    cp -a "$SW_SOURCE_DIR/docs" "$SW_SOURCE_DIR/deploy" "$tree/"
    printf '%s\n' "$tree"
}

deploy_expect_problem()
{
    local tree=$1 needle=$2 out rc=0
    shift 2
    out=$(python3 "$DEPLOY_CHECK" "$SW_BIN_DIR" "$tree" "$@" 2>&1) || rc=$?
    ((rc == 1)) || deploy_fail "deploy_check.py $* on a mutated tree: exit $rc, expected 1: $out"
    assert_contains "$out" "$needle" "deploy_check.py $* on a mutated tree"
}
