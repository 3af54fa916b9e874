/* Private to coordinator/service: the service context and its store handle pool. */
#ifndef SW_COORDINATOR_SVC_INTERNAL_H
#define SW_COORDINATOR_SVC_INTERNAL_H

#include <pthread.h>

#include "service/service.h"

#define SVC_POOL_MAX 16

/* Lock order: wave_mu before mu. mu guards fleet_file and the pool only. */
struct svc {
    char *store_path;
    int64_t lease_ttl_ms;
    pthread_mutex_t mu;
    char *fleet_file;
    struct store *pool[SVC_POOL_MAX];
    size_t n_pool;
    pthread_mutex_t wave_mu; /* one view-step-persist-act at a time in this process */
};

/* Borrows a store handle for this thread (opens a secondary when the pool is empty). */
int svc_store_get(struct svc *s, struct store **out, struct sw_err *err);
/* Returns a handle to the pool (NULL is a no-op). */
void svc_store_put(struct svc *s, struct store *st);

/* Loads the stored set, the fleet and the busy shards, and runs the planner. *fleet,
 * *set and *out are the caller's (store_fleet_cleanup, migset_free,
 * planner_result_cleanup). Maps the planner's refusals to API codes. */
int svc_plan_with(struct svc *s, struct store *st, const char *digest, const struct wave_plan *plan,
                  struct store_fleet *fleet, struct migset **set, struct planner_result *out,
                  struct svc_error *e);

#endif
