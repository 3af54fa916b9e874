/*
 * The store's own schema migrations (coordinator/store/migrations/), compiled
 * into the binary by embed_sql.cmake and applied at store_open with the runner.
 */
#ifndef SW_COORDINATOR_STORE_MIGRATIONS_H
#define SW_COORDINATOR_STORE_MIGRATIONS_H

#include <stddef.h>

#include "sw/migset.h"

extern const struct migset_mem_file store_migrations[];
extern const size_t store_n_migrations;

#endif
