# Installation and packaging (issue 9): `cmake --install BUILD --prefix P` installs the
# three binaries, the man pages, the example configurations and the systemd units;
# `cpack -G DEB` (run in the build directory) builds a Debian package of the same tree.
#
#   P/bin/shardwave{,-coordinator,-agent}
#   P/share/man/man1/*.1, P/share/man/man5/*.5
#   P/share/doc/shardwave/examples/        coordinator.conf agent.conf fleet.conf ...
#   P/lib/systemd/system/*.service          ExecStart points at P/bin, configs at SYSCONF
#   P/lib/sysusers.d/shardwave.conf         the service users (systemd-sysusers)
#
# SYSCONF is /etc for the prefixes /usr and / (a package), P/etc otherwise, so the units
# of a test install under a temporary prefix name files that exist under that prefix.
include(GNUInstallDirs)

# Installing never builds: `cmake --build` first. cpack's "preinstall" step would
# otherwise rebuild the whole tree, under the feet of tests that run the binaries while
# tests/integration/deploy_deb.sh packages them.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(SW_PACKAGE_NAME "shardwave")

install(TARGETS shardwave shardwave-coordinator shardwave-agent
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES
        docs/man/shardwave.1
        docs/man/shardwave-coordinator.1
        docs/man/shardwave-agent.1
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES
        docs/man/shardwave-coordinator.conf.5
        docs/man/shardwave-agent.conf.5
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

set(SW_EXAMPLES_DIR ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES
        deploy/examples/coordinator.conf
        deploy/examples/agent.conf
        deploy/examples/fleet.conf
        deploy/examples/plan-canary.conf
        deploy/examples/tokens
    DESTINATION ${SW_EXAMPLES_DIR})
install(DIRECTORY deploy/examples/migrations DESTINATION ${SW_EXAMPLES_DIR})
install(FILES README.md docs/deployment.md docs/configuration.md
    DESTINATION ${CMAKE_INSTALL_DOCDIR})

# systemd units: the files in deploy/systemd/ are written for a package (/usr/bin,
# /etc/shardwave); at install time the paths are rewritten for the actual prefix.
# CPack installs with DESTDIR and prefix /usr, so a package gets the files unchanged.
set(SW_SYSTEMD_UNITS
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/systemd/shardwave-coordinator.service
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/systemd/shardwave-agent.service)
install(CODE "set(SW_SYSTEMD_UNITS \"${SW_SYSTEMD_UNITS}\")
set(SW_UNIT_STAGE \"${CMAKE_CURRENT_BINARY_DIR}/packaging/units\")")
install(CODE [[
    set(sw_prefix "${CMAKE_INSTALL_PREFIX}")
    string(REGEX REPLACE "/+$" "" sw_prefix "${sw_prefix}")
    if(sw_prefix STREQUAL "/usr" OR sw_prefix STREQUAL "")
        set(sw_sysconf "/etc")
    else()
        set(sw_sysconf "${sw_prefix}/etc")
    endif()
    # One staging directory per destination: installs into several prefixes may run at once.
    string(MD5 sw_dest "$ENV{DESTDIR}|${sw_prefix}")
    set(SW_UNIT_STAGE "${SW_UNIT_STAGE}/${sw_dest}")
    file(MAKE_DIRECTORY "${SW_UNIT_STAGE}")
    set(sw_staged "")
    foreach(unit IN LISTS SW_SYSTEMD_UNITS)
        get_filename_component(name "${unit}" NAME)
        file(READ "${unit}" text)
        string(REPLACE "ExecStart=/usr/bin/" "ExecStart=${sw_prefix}/bin/" text "${text}")
        string(REPLACE " --config /etc/shardwave/" " --config ${sw_sysconf}/shardwave/"
            text "${text}")
        file(WRITE "${SW_UNIT_STAGE}/${name}" "${text}")
        list(APPEND sw_staged "${SW_UNIT_STAGE}/${name}")
    endforeach()
    file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
        FILES ${sw_staged})
]])
install(FILES deploy/systemd/shardwave.sysusers
    DESTINATION lib/sysusers.d RENAME shardwave.conf)

# ---- CPack: a Debian package ---------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME ${SW_PACKAGE_NAME})
set(CPACK_PACKAGE_VENDOR "shardwave")
set(CPACK_PACKAGE_CONTACT "shardwave maintainers <shardwave@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "fleet schema migrator: canary waves of SQL migrations across database shards")
set(CPACK_PACKAGE_DESCRIPTION
    "shardwave migrates the schema of a fleet of PostgreSQL, MySQL/MariaDB and SQLite
shards in waves: a canary first, then widening stages, with pause, halt and rollback.
Contains the coordinator, the agent and the shardwave command.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/shardwave/shardwave")
# Runtime library dependencies come from the binaries themselves (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# The maintainer scripts create the service users and tell systemd about the units; they
# never enable or start a service: that is the operator's decision.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_SOURCE_IGNORE_FILES "/build[^/]*/" "/\\\\.git/")
include(CPack)
