# The coordinator's store on PostgreSQL (issue 10).
# A wave over SQLite shards with the store on a fresh PostgreSQL database: completes, is
# read back from the store database, survives a coordinator restart.
sw_script_test(NAME e2e_store_pg SCRIPT e2e_store_pg.sh TIMEOUT 300)
