# The dashboard in a real browser: headless Debian chromium driven by playwright-core
# (tests/browser/), against a real coordinator and agents over SQLite shards.
sw_script_test(NAME dashboard_browser SCRIPT dashboard_browser.sh TIMEOUT 120)
# 2,000 shards: the time to the first full render and per update (printed, not asserted).
sw_script_test(NAME dashboard_scale SCRIPT dashboard_scale.sh TIMEOUT 120)
# The page's files and security headers, and the compact grid endpoint with its ETag (curl).
sw_script_test(NAME dashboard_api SCRIPT dashboard_api.sh)
# Two coordinators on one PostgreSQL store (tests/fault/ha_lib.sh): the follower's page
# (banner naming the leader, buttons disabled), the leader's (pause), the follower's page
# following a kill -9 of the leader, abort with cancel_running.
sw_script_test(NAME dashboard_ha SCRIPT dashboard_ha.sh TIMEOUT 120)
