/*
 * The fleet file (libconfig) -> struct fleet (wave/wave_types.h): explicit shards,
 * defaults, and generated ranges for demos. Also the shared validation of shard ids,
 * pools and labels (for shards registered through the API) and the reload diff.
 *
 *   defaults = { pool = "default"; engine = "pg"; labels = { region = "eu"; }; };
 *   shards = ( { id = "t-001"; engine = "pg"; pool = "eu";
 *                labels = { tier = "canary"; host = "db-1"; }; } );
 *   ranges = ( { prefix = "tenant-"; from = 1; to = 24; width = 3; engine = "sqlite";
 *                pool = "eu"; labels = { region = "eu"; }; } );
 */
#ifndef SW_COORDINATOR_CONFIG_FLEET_FILE_H
#define SW_COORDINATOR_CONFIG_FLEET_FILE_H

#include <stddef.h>

#include "sw/err.h"
#include "wave/wave_types.h"

#define FLEET_FILE_MAX_BYTES (64u * 1024u * 1024u)

/* Loads and validates a fleet file into *out (caller's zeroed struct; release with
 * fleet_cleanup). Shards sorted by id, labels sorted by key. Messages cite file:line:
 *   "fleet.conf:12: shard 't 1': id may only contain A-Z a-z 0-9 . _ : -"
 *   "fleet.conf:20: shard 't-001': duplicate id (first at line 3)"
 *   "fleet.conf:7: shard 't-002': unknown engine 'oracle' (expected pg, mysql or sqlite)"
 * SW_EINVAL for bad content, SW_ENOTFOUND/SW_EIO for the file, SW_ETOOBIG over limits.
 * On failure *out is left empty. */
int fleet_file_load(const char *path, struct fleet *out, struct sw_err *err);

/* Same from text; `name` is used as the file name in messages. */
int fleet_file_parse(const char *text, const char *name, struct fleet *out, struct sw_err *err);

/* Checks one shard as the fleet file does (id, pool, label keys and values, label count,
 * labels sorted and unique after fleet_file_sort_labels). Messages start with
 * "shard '<id>': ". For shards registered through the API. */
int fleet_file_check_shard(const struct fleet_shard *s, struct sw_err *err);
/* Id/pool syntax: [A-Za-z0-9._:-]{1,FLEET_ID_MAX}. `what` names the value ("id", "pool"). */
int fleet_file_check_id(const char *what, const char *id, struct sw_err *err);
/* Label key [a-z0-9_.-]{1,FLEET_LABEL_MAX}; value 1..FLEET_LABEL_VAL_MAX printable chars. */
int fleet_file_check_label(const char *key, const char *value, struct sw_err *err);

/* Sorts a shard's labels by key; SW_EINVAL on a duplicate key. */
int fleet_file_sort_labels(struct fleet_shard *s, struct sw_err *err);
/* Sorts shards by id; SW_EINVAL naming the first duplicate id. */
int fleet_file_sort(struct fleet *f, struct sw_err *err);

/* What changed between two fleets (both sorted by id): ids only in `new_fleet` (added),
 * only in `old_fleet` (removed), and in both with a different engine, pool or labels
 * (changed), each sorted. Heap strings owned by the diff. */
struct fleet_diff {
    size_t n_added;
    char **added;
    size_t n_removed;
    char **removed;
    size_t n_changed;
    char **changed;
};
int fleet_file_diff(const struct fleet *old_fleet, const struct fleet *new_fleet,
                    struct fleet_diff *out, struct sw_err *err);
void fleet_diff_cleanup(struct fleet_diff *d);

#endif
