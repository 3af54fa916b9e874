#!/usr/bin/env bash
# End to end on a mixed fleet: 20 PostgreSQL + 20 MariaDB + 20 SQLite shards, one
# coordinator, two agents. A canary -> 25 % -> rest wave with max_per_host 2 completes;
# every shard's own history table says it is at version 3; the canary's steps all
# finished before any other shard started one; no host ever had more than 2 shards in
# flight (from the history rows' start and finish times).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup "${E2E_N_PG:-20}" "${E2E_N_MY:-20}" "${E2E_N_SQLITE:-20}" 4
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST

coord_log "wave over ${#E2E_SHARDS[@]} shards"
e2e_wave '{"name": "mixed", "max_per_host": 2, "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "quarter", "percent": 25, "max_parallel": 8},
  {"name": "rest", "rest": true, "max_parallel": 8}]}'
e2e_wait_state completed

# every shard at the target, read from the shard itself
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 3 "shard $id version"
done

# the canary stage finished before any other shard was touched
canary=${E2E_SHARDS[0]}
canary_end=0
while read -r _ _ state _ fin; do
    assert_eq "$state" applied "canary row state"
    ((fin > canary_end)) && canary_end=$fin
done < <(e2e_rows "$canary")
((canary_end > 0)) || e2e_fail "the canary has no rows of wave $E2E_WAVE"
events=()
declare -A host_of=()
for i in "${!E2E_SHARDS[@]}"; do
    id=${E2E_SHARDS[$i]}
    host_of[$id]=$((i % 4 + 1))
    first=0 last=0
    while read -r _ _ _ start fin; do
        ((first == 0 || start < first)) && first=$start
        ((fin > last)) && last=$fin
    done < <(e2e_rows "$id")
    ((first > 0)) || e2e_fail "shard $id has no rows of wave $E2E_WAVE"
    if [[ $id != "$canary" ]] && ((first < canary_end)); then
        e2e_fail "shard $id started at $first, before the canary finished at $canary_end"
    fi
    # a shard is in flight on its host from its first step's start to its last step's end
    events+=("$first 1 ${host_of[$id]}" "$last 0 ${host_of[$id]}")
done

# per-host concurrency from the history: ends sort before starts at the same ms
declare -A inflight=() peak=()
while read -r _ kind host; do
    if ((kind == 1)); then
        inflight[$host]=$((${inflight[$host]:-0} + 1))
        ((${inflight[$host]} > ${peak[$host]:-0})) && peak[$host]=${inflight[$host]}
    else
        inflight[$host]=$((${inflight[$host]:-0} - 1))
    fi
done < <(printf '%s\n' "${events[@]}" | sort -n -k1,1 -k2,2)
for host in "${!peak[@]}"; do
    ((${peak[$host]} <= 2)) || e2e_fail "host h-$host had ${peak[$host]} shards in flight (cap 2)"
done
coord_log "per-host peaks: $(for h in "${!peak[@]}"; do printf 'h-%s=%s ' "$h" "${peak[$h]}"; done)"

# the coordinator knows the new versions too
api GET /v1/fleet "$READ_TOKEN"
assert_eq "$(jq '[.shards[] | select(.version == "3")] | length' <<<"$API_BODY")" \
    "${#E2E_SHARDS[@]}" "shards the coordinator reports at version 3"
coord_log "ok"
