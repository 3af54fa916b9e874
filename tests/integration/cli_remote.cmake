# `shardwave` coordinator commands (fleet, plan, wave): bash scripts driving the real CLI
# against a real shardwave-coordinator on 127.0.0.1 (cli_remote_lib.sh starts it).
sw_script_test(NAME cli_remote_usage SCRIPT cli_remote_usage.sh)
sw_script_test(NAME cli_remote_waves SCRIPT cli_remote_waves.sh)
sw_script_test(NAME cli_remote_tls SCRIPT cli_remote_tls.sh)
# fleet scan --wait and fleet --drift against a real coordinator and two agents (e2e_lib.sh).
sw_script_test(NAME cli_remote_drift SCRIPT cli_remote_drift.sh TIMEOUT 300)
