/*
 * The shardwave-coordinator process: config, store (primary handle: one coordinator per
 * store), tokens, service, HTTP server and scheduler, and its signal loop (SIGHUP
 * reloads the fleet, tokens and reloadable settings; SIGTERM/SIGINT stop gracefully).
 */
#ifndef SW_COORDINATOR_DAEMON_COORDINATOR_H
#define SW_COORDINATOR_DAEMON_COORDINATOR_H

#include "config/coord_config.h"
#include "sw/err.h"

struct coordinator;

/* Starts everything from a loaded config (consumed: the coordinator owns and cleans it
 * up, also on failure) and the config file path (for reloads; may be NULL). Signals
 * SIGHUP, SIGTERM, SIGINT must already be blocked in the calling thread, so every
 * thread started here inherits the mask. SW_ELOCKED when another coordinator holds the
 * store. *out owned by the caller (coordinator_free). */
int coordinator_start(struct coord_config *cfg, const char *config_path, struct coordinator **out,
                      struct sw_err *err);
/* Waits for signals: reloads on SIGHUP, returns 0 on SIGTERM/SIGINT. */
int coordinator_run(struct coordinator *c);
/* Graceful stop (no new requests, in-flight ones finish, scheduler stops, store closes)
 * and free. NULL is a no-op. */
void coordinator_free(struct coordinator *c);

#endif
