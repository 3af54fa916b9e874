/*
 * The daemon's webhook wiring: starts the sender for the config's `webhooks`, connects it
 * to the service (events after each committed decision), applies reloads and stops it.
 */
#ifndef SW_COORDINATOR_DAEMON_COORD_NOTIFY_H
#define SW_COORDINATOR_DAEMON_COORD_NOTIFY_H

#include <stddef.h>

#include "config/coord_config.h"
#include "notify/notify.h"
#include "service/service.h"
#include "service/svc_metrics.h"

/* Declares the webhook metrics in m's registry, starts one sender per hook (none: an idle
 * sender) and sets it as the service's sink. Payload links use cfg->ha_url (advertise_url,
 * or derived from listen). *out: coord_notify_stop. */
int coord_notify_start(const struct coord_config *cfg, struct svc *svc, struct svc_metrics *m,
                       struct notify **out, struct sw_err *err);

/* Applies a reloaded config's hooks; logs what changed or why nothing did. */
void coord_notify_reload(struct notify *n, const struct coord_config *next);

/* Detaches the sink from the service, then stops and frees the sender (NULL: no-op). */
void coord_notify_stop(struct svc *svc, struct notify *n);

#endif
