# The expand/contract generator (`shardwave new --rename-column|--rename-table|
# --add-not-null-column`), applied on the real servers under concurrent writers.
sw_script_test(NAME cli_generate SCRIPT cli_generate.sh TIMEOUT 600)
