#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time (the fuzz phase
# of tests/run.sh; see tests/fuzz/README.md). A crash, leak, sanitizer report, broken
# property or too-slow input fails the run, and libFuzzer saves the input as
# tests/fuzz/regressions/<target>/<kind>-<sha1> (crash-, leak-, timeout-, oom-); commit it,
# and ctest replays it from then on (unit/fuzz_replay_<target>).
#
# Usage: tests/fuzz/run.sh [-j N] [--build-dir DIR] [TARGET...]
#   -j N             targets fuzzed at once (default 2)
#   --build-dir DIR  the clang build (default build-fuzz)
#   TARGET           e.g. migset, sqlsplit, wire_lease_resp (default: every target)
# Environment: SW_FUZZ_SECONDS per target (default 10).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fuzz_dir=$repo/tests/fuzz
SW_MSG_PREFIX=fuzz
# shellcheck source=tests/lib/common.sh
source "$repo/tests/lib/common.sh"

jobs=2
build_dir=$repo/build-fuzz
targets=()
while (($# > 0)); do
    case $1 in
    -j)
        if (($# < 2)) || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
            sw_die "-j needs a positive number"
        fi
        jobs=$2
        shift
        ;;
    --build-dir)
        (($# >= 2)) || sw_die "--build-dir needs a directory"
        build_dir=$2
        shift
        ;;
    -h | --help)
        sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*) sw_die "unknown option '$1' (see --help)" ;;
    *) targets+=("$1") ;;
    esac
    shift
done
seconds=${SW_FUZZ_SECONDS:-10}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || sw_die "SW_FUZZ_SECONDS must be a positive number"
command -v clang >/dev/null || sw_die "clang is missing (deploy/install-deps.sh installs it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/sw-fuzz.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

if ! { CC=clang cmake -S "$repo" -B "$build_dir" -DSW_FUZZ=ON -DSW_SANITIZE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build "$build_dir" -j "$jobs" \
    --target fuzz_all; } >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    sw_die "building the fuzz targets in $build_dir failed"
fi
# Known leaks of third-party libraries (see the file).
export LSAN_OPTIONS=suppressions=$fuzz_dir/lsan.supp
if ((${#targets[@]} == 0)); then
    for bin in "$build_dir"/fuzz/fuzz_*; do
        targets+=("${bin##*/fuzz_}")
    done
fi

# fuzz_one TARGET: fuzzes a scratch copy of the seeds (libFuzzer adds to its first
# directory) plus the saved regressions for $seconds; the log goes to $work/TARGET.log.
fuzz_one()
{
    local t=$1 seeds=$fuzz_dir/corpus/${1#wire_} regress=$fuzz_dir/regressions/$1
    local -a extra=()
    [[ $t == wire_* ]] && extra+=(-dict="$fuzz_dir/wire.dict")
    mkdir -p "$work/$t" "$regress"
    cp -- "$seeds"/* "$work/$t/"
    local rc=0
    timeout $((seconds + 120)) "$build_dir/fuzz/fuzz_$t" "$work/$t" "$regress" "${extra[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -report_slow_units=100000 \
        -print_final_stats=1 -artifact_prefix="$regress/" >"$work/$t.log" 2>&1 || rc=$?
    rmdir -- "$regress" 2>/dev/null || true # kept only when it holds inputs
    return "$rc"
}

failed=()
declare -A running=()
# reap: waits for one target and records its outcome.
reap()
{
    local pid rc=0
    wait -n -p pid || rc=$?
    local t=${running[$pid]}
    unset "running[$pid]"
    if ((rc == 0)); then
        sw_msg "$t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
            "$work/$t.log" | grep -o '[0-9]*$' || echo '?') runs)"
    else
        sw_msg "$t: FAILED (exit $rc); the input is saved in tests/fuzz/regressions/$t/"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |artifact_prefix|Test unit written)' \
            "$work/$t.log" >&2 || tail -n 30 "$work/$t.log" >&2
        failed+=("$t")
    fi
}
for t in "${targets[@]}"; do
    [[ -x $build_dir/fuzz/fuzz_$t ]] || sw_die "no fuzz target '$t'"
    ((${#running[@]} < jobs)) || reap
    fuzz_one "$t" &
    running[$!]=$t
done
while ((${#running[@]} > 0)); do
    reap
done

if ((${#failed[@]} > 0)); then
    sw_msg "failed: ${failed[*]} (replay one: $build_dir/fuzz/fuzz_<target> <file>)"
    exit 1
fi
sw_msg "all ${#targets[@]} targets ran ${seconds}s each without a finding"
