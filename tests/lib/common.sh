# shellcheck shell=bash
# Small shared helpers for the test harness scripts: messages, phase timing, and
# polling with a deadline (never a fixed sleep to synchronise).

sw_msg()
{
    printf '%s: %s\n' "${SW_MSG_PREFIX:-run}" "$*" >&2
}

sw_die()
{
    sw_msg "error: $*"
    exit 1
}

# sw_phase NAME: ends the previous phase (printing its duration) and starts NAME.
# sw_phase "" ends the current phase without starting another.
SW_PHASE_NAME=""
SW_PHASE_START=0
SW_PHASE_REPORT=""
sw_phase()
{
    local now
    now=$(date +%s)
    if [[ -n $SW_PHASE_NAME ]]; then
        local took=$((now - SW_PHASE_START))
        SW_PHASE_REPORT+="$(printf '  %-12s %4ds' "$SW_PHASE_NAME" "$took")"$'\n'
        sw_msg "phase $SW_PHASE_NAME done in ${took}s"
    fi
    SW_PHASE_NAME=$1
    SW_PHASE_START=$now
    if [[ -n $SW_PHASE_NAME ]]; then
        sw_msg "phase $SW_PHASE_NAME"
    fi
}

# sw_poll DEADLINE_S CMD...: runs CMD every 0.1 s until it succeeds (returns 0) or
# DEADLINE_S seconds have passed (returns 1).
sw_poll()
{
    local deadline=$(($(date +%s) + $1))
    shift
    while ! "$@"; do
        if (($(date +%s) >= deadline)); then
            return 1
        fi
        sleep 0.1
    done
    return 0
}

# sw_random_hex N: N random hex characters (passwords, names).
sw_random_hex()
{
    od -An -N"$(($1 / 2 + 1))" -tx1 /dev/urandom | tr -d ' \n' | cut -c1-"$1"
}
