# shardwave-agent against a scripted fake coordinator and real SQLite shards.
sw_script_test(NAME agent_daemon SCRIPT agent_daemon.sh TIMEOUT 300)
