# bench/fleet.sh on 3 shards, one run (SQLite; PostgreSQL and MariaDB when configured):
# the benchmark script keeps working. It never asserts a timing.
sw_script_test(NAME bench_smoke SCRIPT bench_smoke.sh TIMEOUT 300)
