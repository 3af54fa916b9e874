# deploy/quickstart.sh (README command 1) run non-interactively with small fleets against
# the built binaries: completed wave, halted wave, SIGTERM cleanup, usage errors, and a
# mixed SQLite + PostgreSQL + MariaDB fleet when the test servers are configured.
sw_script_test(NAME quickstart SCRIPT quickstart.sh TIMEOUT 900)
