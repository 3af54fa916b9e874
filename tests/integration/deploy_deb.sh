#!/usr/bin/env bash
# The Debian package: cpack builds it from the build tree into a temp dir; its control data
# and contents are checked; then, as root only, it is installed with dpkg -i (the service
# users appear, `shardwave --version` runs from /usr/bin, man finds the pages, the units
# pass systemd-analyze verify, no service is enabled or started), removed with dpkg -r
# (every file gone) and purged. The machine is left as it was: the package is purged and
# the users it created are deleted even when a check fails. Skipped (77) when not root or
# when a shardwave package or /usr/bin/shardwave already exists (never clobber a real one).
source "$(dirname "${BASH_SOURCE[0]}")/deploy_lib.sh"

for tool in cpack dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || deploy_fail "$tool is not installed (deploy/install-deps.sh)"
done
out=$(cpack -G DEB --config "$SW_BUILD_DIR/CPackConfig.cmake" -B "$DEPLOY_TMP/pkg" 2>&1) ||
    deploy_fail "cpack: $out"
debs=("$DEPLOY_TMP"/pkg/shardwave_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || deploy_fail "cpack made no single .deb: $out"
deb=${debs[0]}
version=$("$SW_BIN_DIR/shardwave" --version)

field()
{
    dpkg-deb -f "$deb" "$1"
}
assert_eq "$(field Package)" shardwave "Package"
assert_eq "$(field Version)" "$(sed -n 's/^project(shardwave VERSION \([0-9.]*\) .*/\1/p' \
    "$SW_SOURCE_DIR/CMakeLists.txt")" "Version"
depends=$(field Depends)
for lib in libpq5 libmariadb3 libcurl4 libconfig9 libmicrohttpd12 libjansson4 libsqlite3-0 libssl3; do
    re="(^|[ ,])${lib//./\\.}([ ,(]|\$)"
    [[ $depends =~ $re ]] || deploy_fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/shardwave ./usr/bin/shardwave-coordinator ./usr/bin/shardwave-agent \
    ./usr/share/man/man1/shardwave.1 ./usr/share/man/man5/shardwave-agent.conf.5 \
    ./usr/lib/systemd/system/shardwave-coordinator.service \
    ./usr/lib/systemd/system/shardwave-agent.service ./usr/lib/sysusers.d/shardwave.conf \
    ./usr/share/doc/shardwave/examples/coordinator.conf; do
    grep -qxF "$f" <<<"$contents" || deploy_fail "the package lacks $f"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst | grep -q 'systemd-sysusers shardwave.conf' ||
    deploy_fail "postinst does not create the service users"
if dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst | grep -Eq 'systemctl (enable|start)'; then
    deploy_fail "postinst enables or starts a service"
fi

if [[ $(id -u) != 0 ]]; then
    deploy_log "SKIP: install and removal need root (the package itself was checked)"
    exit 77
fi
if dpkg-query -W shardwave >/dev/null 2>&1 || [[ -e /usr/bin/shardwave ]]; then
    deploy_log "SKIP: shardwave is already installed on this machine; not touching it"
    exit 77
fi

# Leave the machine as it was, whatever happens below.
new_users=()
for u in shardwave shardwave-agent; do
    getent passwd "$u" >/dev/null || new_users+=("$u")
done
remove_new_users()
{
    local u
    for u in "${new_users[@]}"; do
        if getent passwd "$u" >/dev/null; then
            userdel "$u" >/dev/null 2>&1 || deploy_log "cannot delete user $u"
        fi
        if getent group "$u" >/dev/null; then
            groupdel "$u" >/dev/null 2>&1 || true
        fi
    done
}
purge_package()
{
    if dpkg-query -W shardwave >/dev/null 2>&1; then
        dpkg -P shardwave >/dev/null 2>&1 || deploy_log "dpkg -P shardwave failed"
    fi
}
deploy_on_exit remove_new_users
deploy_on_exit purge_package

out=$(dpkg -i "$deb" 2>&1) || deploy_fail "dpkg -i: $out"
assert_eq "$(dpkg-query -W -f '${Status}' shardwave)" "install ok installed" "package status"
assert_eq "$(/usr/bin/shardwave --version)" "$version" "/usr/bin/shardwave --version"
for bin in shardwave-coordinator shardwave-agent; do
    /usr/bin/$bin --version >/dev/null || deploy_fail "/usr/bin/$bin --version failed"
done
assert_eq "$(command -v shardwave)" /usr/bin/shardwave "shardwave on PATH"
for u in shardwave shardwave-agent; do
    getent passwd "$u" >/dev/null || deploy_fail "postinst did not create the user $u"
done
if grep -rqs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
    deploy_log "NOTE: dpkg here excludes /usr/share/man (a slim image): man pages not checked"
else
    found=$(man -w 5 shardwave-coordinator.conf 2>&1) || deploy_fail "man -w: $found"
    assert_contains "$found" "/usr/share/man/man5/shardwave-coordinator.conf.5" "man -w"
fi
if command -v systemd-analyze >/dev/null; then
    out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=yes \
        /usr/lib/systemd/system/shardwave-coordinator.service \
        /usr/lib/systemd/system/shardwave-agent.service 2>&1) ||
        deploy_fail "systemd-analyze verify: $out"
else
    deploy_log "NOTE: systemd-analyze is not installed: installed units not verified"
fi
for d in /etc/systemd/system/*.wants; do
    [[ ! -e $d/shardwave-coordinator.service && ! -e $d/shardwave-agent.service ]] ||
        deploy_fail "installing the package enabled a service ($d)"
done

out=$(dpkg -r shardwave 2>&1) || deploy_fail "dpkg -r: $out"
for f in /usr/bin/shardwave /usr/bin/shardwave-coordinator /usr/bin/shardwave-agent \
    /usr/lib/systemd/system/shardwave-coordinator.service /usr/share/man/man1/shardwave.1 \
    /usr/lib/sysusers.d/shardwave.conf /usr/share/doc/shardwave/examples/tokens; do
    [[ ! -e $f ]] || deploy_fail "$f is still there after dpkg -r"
done
out=$(dpkg -P shardwave 2>&1) || deploy_fail "dpkg -P: $out"
if dpkg-query -W -f '${Status}' shardwave 2>/dev/null | grep -q installed; then
    deploy_fail "shardwave is still known to dpkg after purge"
fi
deploy_log "ok"
