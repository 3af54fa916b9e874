#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` into a temp prefix: the three binaries (which run from
# there), the man pages (found by man(1) under P), the example configs, the systemd units
# with ExecStart pointing into P, the sysusers file. The units have the hardening the
# issue asks for and pass `systemd-analyze verify` (which also checks that ExecStart is
# executable and that the man pages of Documentation= exist) and `systemd-analyze
# security --offline` below a fixed exposure.
source "$(dirname "${BASH_SOURCE[0]}")/deploy_lib.sh"

prefix="$DEPLOY_TMP/prefix"
out=$(cmake --install "$SW_BUILD_DIR" --prefix "$prefix" 2>&1) || deploy_fail "cmake --install: $out"

for f in bin/shardwave bin/shardwave-coordinator bin/shardwave-agent; do
    [[ -x $prefix/$f ]] || deploy_fail "$f is not installed (or not executable)"
    out=$("$prefix/$f" --version) || deploy_fail "installed $f --version failed"
    assert_eq "$out" "$("$SW_BIN_DIR/${f#bin/}" --version)" "installed $f --version"
done
for page in man1/shardwave.1 man1/shardwave-coordinator.1 man1/shardwave-agent.1 \
    man5/shardwave-coordinator.conf.5 man5/shardwave-agent.conf.5; do
    [[ -f $prefix/share/man/$page ]] || deploy_fail "man page $page is not installed"
    name=$(basename "$page")
    found=$(MANPATH="$prefix/share/man" man -w "${name##*.}" "${name%.*}" 2>&1) ||
        deploy_fail "man -w ${name##*.} ${name%.*}: $found"
    assert_eq "$found" "$prefix/share/man/$page" "man -w ${name%.*}"
done
for f in coordinator.conf agent.conf fleet.conf plan-canary.conf tokens migrations/shardwave.sum \
    migrations/V1__create_users.sql; do
    cmp -s "$prefix/share/doc/shardwave/examples/$f" "$SW_SOURCE_DIR/deploy/examples/$f" ||
        deploy_fail "example $f is not installed as in deploy/examples"
done
grep -q '^u shardwave ' "$prefix/lib/sysusers.d/shardwave.conf" ||
    deploy_fail "lib/sysusers.d/shardwave.conf does not create the user shardwave"

units="$prefix/lib/systemd/system"
for unit in shardwave-coordinator shardwave-agent; do
    f="$units/$unit.service"
    [[ -f $f ]] || deploy_fail "$unit.service is not installed"
    assert_eq "$(grep '^ExecStart=' "$f")" \
        "ExecStart=$prefix/bin/$unit --config $prefix/etc/shardwave/${unit#shardwave-}.conf" \
        "$unit.service ExecStart"
    for line in 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'Restart=on-failure' \
        'ExecReload=/bin/kill -HUP $MAINPID' "StateDirectory=${unit/-coordinator/}" \
        "User=${unit/-coordinator/}" 'CapabilityBoundingSet=' 'PrivateTmp=yes'; do
        grep -qxF "$line" "$f" || deploy_fail "$unit.service lacks '$line'"
    done
    # The unit's own flags exist in the binary.
    grep -q -- "--config" <("$prefix/bin/$unit" --help) || deploy_fail "$unit has no --config"
done

if ! command -v systemd-analyze >/dev/null; then
    deploy_log "NOTE: systemd-analyze is not installed: units not verified (package systemd)"
    deploy_log "ok"
    exit 0
fi
out=$(cd "$units" && MANPATH="$prefix/share/man" SYSTEMD_LOG_COLOR=0 \
    systemd-analyze verify --man=yes ./shardwave-coordinator.service ./shardwave-agent.service 2>&1) ||
    deploy_fail "systemd-analyze verify: $out"
[[ -z $out ]] || deploy_fail "systemd-analyze verify warns: $out"
for unit in shardwave-coordinator shardwave-agent; do
    out=$(systemd-analyze security --offline=true --threshold=20 "$units/$unit.service" 2>&1) ||
        deploy_fail "systemd-analyze security $unit: exposure above 2.0: $(tail -1 <<<"$out")"
done

# verify notices a broken unit (a typo'd key, a man page that is not installed).
sed -e 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$units/shardwave-agent.service" \
    >"$DEPLOY_TMP/shardwave-agent.service"
out=$(cd "$DEPLOY_TMP" && MANPATH="$prefix/share/man" systemd-analyze verify --man=yes \
    ./shardwave-agent.service 2>&1) || true
assert_contains "$out" "Unknown key 'NoNewPrivilege'" "systemd-analyze verify of a broken unit"
rc=0
out=$(cd "$units" && MANPATH="$DEPLOY_TMP/nowhere" systemd-analyze verify --man=yes \
    ./shardwave-agent.service 2>&1) || rc=$?
[[ $rc != 0 ]] || deploy_fail "systemd-analyze verify passed without the man pages: $out"
deploy_log "ok"
