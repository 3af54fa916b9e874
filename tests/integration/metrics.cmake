# Operator experience (issue 8): Prometheus metrics of the coordinator and the agents
# (promtool check metrics), structured logs, and `shardwave wave status --watch` under a pty.
sw_script_test(NAME metrics SCRIPT metrics.sh TIMEOUT 300)
sw_script_test(NAME cli_watch SCRIPT cli_watch.sh TIMEOUT 300)
