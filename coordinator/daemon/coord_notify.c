/* Webhooks in the daemon: the sender, its sink in the service, reloads and shutdown. */
#include "coord_notify.h"

#include <stdio.h>

#include "service/svc_notify.h"
#include "sw/log.h"

/* The service's sink: queue only (called under the service's wave lock). */
static void coord_notify_sink(void *ctx, const struct notify_event *ev)
{
    notify_send(ctx, ev);
}

static void coord_notify_log(const struct notify_config *c, const char *what)
{
    char names[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->n_hooks && used < sizeof names; i++) {
        int k = snprintf(names + used, sizeof names - used, "%s%s", i > 0 ? ", " : "",
                         c->hooks[i].name);
        used += k > 0 ? (size_t)k : 0;
    }
    log_info("webhooks %s: %zu hook%s%s%s", what, c->n_hooks, c->n_hooks == 1 ? "" : "s",
             c->n_hooks > 0 ? ": " : "", names);
}

int coord_notify_start(const struct coord_config *cfg, struct svc *svc, struct svc_metrics *m,
                       struct notify **out, struct sw_err *err)
{
    int rc = notify_metrics_define(svc_metrics_registry(m), err);
    if (rc == 0) {
        rc = notify_new(&cfg->webhooks, cfg->ha_url, svc_metrics_registry(m), out, err);
    }
    if (rc == 0) {
        svc_set_notify(svc, coord_notify_sink, *out);
        coord_notify_log(&cfg->webhooks, "started");
    }
    return rc;
}

void coord_notify_reload(struct notify *n, const struct coord_config *next)
{
    size_t n_changed = 0;
    struct sw_err err = {0};
    if (notify_reload(n, &next->webhooks, next->ha_url, &n_changed, &err) != 0) {
        log_error("reload (SIGHUP): webhooks: %s", err.msg);
    } else if (n_changed > 0) {
        coord_notify_log(&next->webhooks, "reloaded");
    }
}

void coord_notify_stop(struct svc *svc, struct notify *n)
{
    if (svc != NULL) {
        svc_set_notify(svc, NULL, NULL);
    }
    notify_free(n);
}
