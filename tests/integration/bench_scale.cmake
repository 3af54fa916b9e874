# bench/scale.sh on 50 SQLite shards (timed wave, then the pause reaction): the benchmark
# keeps working and a pause holds. It never asserts a timing.
sw_script_test(NAME bench_scale_smoke SCRIPT bench_scale_smoke.sh TIMEOUT 300)
