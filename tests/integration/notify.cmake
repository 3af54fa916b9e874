# Webhooks (issue 8): a real coordinator and agents, a python receiver that fails and
# hangs on purpose; payloads, retries, exactly-once per event id, order, HMAC, no secret
# leaks, delivery metrics, SIGHUP reload.
sw_script_test(NAME notify_webhooks SCRIPT notify_webhooks.sh TIMEOUT 180)
