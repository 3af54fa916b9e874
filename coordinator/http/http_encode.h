/*
 * JSON documents of the v1 API (docs/api.md) from the service layer's domain structs.
 * Every function returns a new reference (NULL only when out of memory).
 */
#ifndef SW_COORDINATOR_HTTP_ENCODE_H
#define SW_COORDINATOR_HTTP_ENCODE_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "sw/err.h"
#include "sw/strbuf.h"
#include "sw/migset.h"
#include "wave/planner.h"

/* RFC 3339 UTC with milliseconds, or JSON null for 0. */
json_t *http_encode_time(int64_t wall_ms);
/* {"shards": [...], "histogram": [...], "drift": [...]} */
json_t *http_encode_fleet(const struct store_fleet *f);
/* One shard as registered: {"id", "engine", "pool", "labels"}. */
json_t *http_encode_shard(const struct fleet_shard *s);
/* {"shards", "added", "changed", "removed", "removed_in_active_wave"} */
json_t *http_encode_sync(const struct store_sync_result *r);
/* {"digest", "latest", "steps": N} */
json_t *http_encode_migset_info(const struct store_migset_info *info);
/* {"digest", "latest", "steps": [{version, description, engines, down_engines, no_transaction}]} */
json_t *http_encode_migset(const struct migset *set);
/* The dry-run document. */
json_t *http_encode_plan(const struct wave_plan *plan, const struct migset *set,
                         const struct planner_result *r);
/* {"pending": n, "leased": n, ...}: every shard state with its count. */
json_t *http_encode_state_counts(const size_t counts[WSHARD_STATE_COUNT]);
/* Wave summary (no stages, no plan), from a row and optional counts (NULL = omitted). */
json_t *http_encode_wave_summary(const struct store_wave *w, json_t *counts);
/* Wave detail: summary + counts + stages with shards + plan. */
json_t *http_encode_wave_detail(const struct store_wave_detail *d);
/* The same document as compact JSON text (what json_dumps(http_encode_wave_detail(d),
 * JSON_COMPACT) gives), appended to sb one shard at a time: no tree of every shard
 * (10,000 shards: ~12 MB of small allocations, the largest part of the coordinator's
 * peak RSS). SW_ENOMEM, SW_ETOOBIG past sb's maximum. */
int http_encode_wave_detail_text(const struct store_wave_detail *d, struct sw_strbuf *sb,
                                 struct sw_err *err);
/* {"events": [...]} */
json_t *http_encode_events(const struct store_event *ev, size_t n);

#endif
