# Policy in waves (issue 5): the coordinator lints what a wave runs (409 unsafe_migration,
# allow_unsafe with a reason in the events) and holds contract-of steps until the whole
# fleet has the expand version (409 contract_not_ready). Real coordinator, real agents
# over SQLite shards; the CLI test drives `shardwave plan` and `wave start`.
sw_script_test(NAME coord_policy SCRIPT coord_policy.sh TIMEOUT 300)
sw_script_test(NAME cli_remote_policy SCRIPT cli_remote_policy.sh)
