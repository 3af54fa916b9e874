# shardwave-coordinator API tests: a real coordinator on a free 127.0.0.1 port with a temp
# store, fleet file and tokens file, driven with curl (jq reads the replies).
sw_script_test(NAME coord_api SCRIPT coord_api.sh)
sw_script_test(NAME coord_persist SCRIPT coord_persist.sh)
sw_script_test(NAME coord_fleet SCRIPT coord_fleet.sh)
sw_script_test(NAME coord_tls SCRIPT coord_tls.sh)
sw_script_test(NAME coord_usage SCRIPT coord_usage.sh)
