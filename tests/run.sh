#!/usr/bin/env bash
# The whole check, as CI runs it: install dependencies, build with ASan+UBSan,
# check formatting and lint, start throwaway PostgreSQL 15 and MariaDB servers,
# run every test with ctest, stop the servers (always, by pid). Exit 0 only when
# everything passed.
#
# Usage: tests/run.sh [--no-sanitize] [-R REGEX] [--keep-servers] [-j N]
#   --no-sanitize   build without ASan/UBSan (faster, for a quick local loop)
#   -R REGEX        only the ctest tests matching REGEX
#   --keep-servers  leave the servers running afterwards and print how to use/stop them
#   -j N            build and test parallelism (default 2)
# Environment: SW_BUILD_DIR (default build), SW_TEST_TIMEOUT_S per test (default 600),
# SW_FUZZ_SECONDS per fuzz target (default 10; 0 skips the fuzz phase).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
SW_LIB_DIR="$repo/tests/lib"
SW_MSG_PREFIX=run
# shellcheck source=tests/lib/common.sh
source "$SW_LIB_DIR/common.sh"
# shellcheck source=tests/lib/servers.sh
source "$SW_LIB_DIR/servers.sh"

sanitize=ON
keep_servers=0
jobs=2
ctest_args=()
while (($# > 0)); do
    case $1 in
    --no-sanitize) sanitize=OFF ;;
    --keep-servers) keep_servers=1 ;;
    -R)
        (($# >= 2)) || sw_die "-R needs a regex"
        ctest_args+=(-R "$2")
        shift
        ;;
    -j)
        if (($# < 2)) || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
            sw_die "-j needs a positive number"
        fi
        jobs=$2
        shift
        ;;
    -h | --help)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) sw_die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

build_dir=${SW_BUILD_DIR:-build}
test_timeout=${SW_TEST_TIMEOUT_S:-600}
test_tmp=""
child=""

# Runs a long command in the background, in its own process group, and waits for
# it, so INT/TERM reach our trap at once (a foreground child would delay the trap
# until it finished) and the trap can stop the command with everything it started
# (ctest does not stop its running tests when it is terminated).
run_child()
{
    setsid "$@" &
    child=$!
    local rc=0
    wait "$child" || rc=$?
    child=""
    return "$rc"
}

cleanup()
{
    local rc=$?
    trap - EXIT
    trap '' INT TERM # a second Ctrl-C must not leave the servers behind
    if [[ -n $child ]]; then
        kill -TERM -- "-$child" 2>/dev/null || true
        sw_poll 30 sw_pid_gone "$child" || kill -KILL -- "-$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    if ((keep_servers)) && [[ -n $SW_PG_DIR ]]; then
        sw_msg "servers kept running: source $SW_SERVERS_ENV_FILE"
        sw_msg "stop them with: tests/lib/servers.sh stop $SW_SERVERS_ENV_FILE"
    else
        sw_servers_stop
    fi
    [[ -n $test_tmp ]] && rm -rf -- "$test_tmp"
    sw_phase ""
    if [[ -n $SW_PHASE_REPORT ]]; then
        printf 'run: phase timings\n%s' "$SW_PHASE_REPORT" >&2
    fi
    if ((rc == 0)); then
        sw_msg "PASSED"
    else
        sw_msg "FAILED (exit $rc)"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sw_phase deps
"$repo/deploy/install-deps.sh"

sw_phase configure
cmake -S "$repo" -B "$build_dir" -DSW_SANITIZE="$sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo

sw_phase build
run_child cmake --build "$build_dir" -j "$jobs"

# Format and lint failures do not stop the run: the tests still run, so one CI
# round reports everything; the exit status is non-zero when anything failed.
failed=()

sw_phase format
mapfile -t fmt_files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' |
    grep -Ev '^(build|build-[^/]*)/' || true)
if ((${#fmt_files[@]} > 0)) && ! clang-format --dry-run --Werror "${fmt_files[@]}"; then
    sw_msg "formatting differs; run: clang-format -i <the files above>"
    failed+=(format)
fi

sw_phase lint
"$repo/tools/lint.sh" "$repo" || failed+=(lint)

# The sanitizer build hides some optimiser-only warnings (-Wformat-truncation,
# -Wmaybe-uninitialized): also build the binaries optimised, without tests, at -O3
# (Release), whose warnings cover those of the quickstart's RelWithDebInfo (-O2).
sw_phase release-build
if ! { cmake -S "$repo" -B "$build_dir-release" -DSW_SANITIZE=OFF -DSW_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    run_child cmake --build "$build_dir-release" -j "$jobs" -- --quiet; }; then
    sw_msg "the optimised (Release) build failed"
    failed+=(release-build)
fi

sw_phase servers
sw_servers_start || sw_die "could not start the test servers"
test_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sw-tests.XXXXXX")
export SW_TEST_TMPDIR=$test_tmp

sw_phase tests
run_child ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "$jobs" \
    --timeout "$test_timeout" "${ctest_args[@]}" || failed+=(tests)

# Every libFuzzer target for a bounded time (SW_FUZZ_SECONDS each, default 10; clang build
# in $build_dir-fuzz). A finding is saved under tests/fuzz/regressions/<target>/ and
# replayed by ctest from then on (tests/fuzz/README.md).
if [[ ${SW_FUZZ_SECONDS:-10} != 0 ]]; then
    sw_phase fuzz
    run_child "$repo/tests/fuzz/run.sh" -j "$jobs" --build-dir "$build_dir-fuzz" ||
        failed+=(fuzz)
fi

if ((${#failed[@]} > 0)); then
    sw_msg "failed: ${failed[*]}"
    exit 1
fi
