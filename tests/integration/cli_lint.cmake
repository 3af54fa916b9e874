# `shardwave lint`: exit codes, human and JSON output, acknowledgements (no database needed).
sw_script_test(NAME cli_lint SCRIPT cli_lint.sh)
