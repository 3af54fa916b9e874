# Deployment and packaging (issue 9): install tree, Debian package, systemd units, man
# pages and the configuration reference against --help, container and Kubernetes files,
# --version and the protocol check. deploy_check.py holds the structure checks.
sw_script_test(NAME deploy_docs SCRIPT deploy_docs.sh)
sw_script_test(NAME deploy_version SCRIPT deploy_version.sh)
# Both install the build tree (cmake --install, cpack): one at a time.
sw_script_test(NAME deploy_install SCRIPT deploy_install.sh)
sw_script_test(NAME deploy_deb SCRIPT deploy_deb.sh TIMEOUT 600)
set_tests_properties(integration/deploy_install integration/deploy_deb PROPERTIES
    RESOURCE_LOCK sw_install_tree)
set_property(TEST integration/deploy_install integration/deploy_deb APPEND PROPERTY
    ENVIRONMENT "SW_BUILD_DIR=${CMAKE_BINARY_DIR}")
sw_script_test(NAME deploy_container SCRIPT deploy_container.sh)
sw_script_test(NAME deploy_k8s SCRIPT deploy_k8s.sh)
