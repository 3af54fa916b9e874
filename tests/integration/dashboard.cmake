# The dashboard in a real browser: headless Debian chromium driven by playwright-core
# (tests/browser/), against a real coordinator and agents over SQLite shards.
sw_script_test(NAME dashboard_browser SCRIPT dashboard_browser.sh TIMEOUT 120)
