# Deployment and packaging (issue 9): install tree, Debian package, systemd units, man
# pages and the configuration reference against --help, container and Kubernetes files,
# --version and the protocol check. deploy_check.py holds the structure checks.
sw_script_test(NAME deploy_docs SCRIPT deploy_docs.sh)
sw_script_test(NAME deploy_version SCRIPT deploy_version.sh)
