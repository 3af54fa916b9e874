# `shardwave` CLI tests: bash scripts driving the real binary against real databases.
sw_script_test(NAME cli_usage SCRIPT cli_usage.sh)
sw_script_test(NAME cli_author SCRIPT cli_author.sh)
sw_script_test(NAME cli_validate SCRIPT cli_validate.sh)
sw_script_test(NAME cli_sqlite SCRIPT cli_sqlite.sh)
sw_script_test(NAME cli_pg SCRIPT cli_pg.sh)
sw_script_test(NAME cli_mysql SCRIPT cli_mysql.sh)
