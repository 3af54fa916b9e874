#!/usr/bin/env bash
# `shardwave` end to end on MySQL/MariaDB: target, latest, re-run, undo, drift, baseline.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"
# shellcheck source=tests/integration/cli_scenarios.sh
source "$here/cli_scenarios.sh"

cli_run_common_scenarios mysql
cli_log "ok"
