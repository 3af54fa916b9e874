/*
 * The agent's HTTP client to the coordinator (libcurl): JSON POSTs with the bearer
 * token, connect and request timeouts, an optional CA file, bounded response bodies.
 * One struct agent_http per thread (it owns a curl easy handle).
 */
#ifndef SW_AGENT_DAEMON_AGENT_HTTP_H
#define SW_AGENT_DAEMON_AGENT_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"

#define AGENT_HTTP_MAX_BODY_BYTES (512u * 1024u * 1024u)

struct agent_http_opts {
    const char *base_url; /* "https://coordinator:7400" (no trailing path) */
    const char *token;    /* bearer token; borrowed, must outlive the client */
    const char *ca_file;  /* NULL = system CAs */
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    /* When not NULL, a request in progress is abandoned (SW_ECONNECT) as soon as
     * *abort_flag is non-zero: a long-poll must not delay shutdown. */
    const volatile sig_atomic_t *abort_flag;
};

struct agent_http;

/* Creates a client; copies base_url and ca_file; the token stays borrowed. */
int agent_http_new(const struct agent_http_opts *opts, struct agent_http **out, struct sw_err *err);
void agent_http_free(struct agent_http *h);

struct agent_http_resp {
    long status; /* HTTP status */
    char *body;  /* NUL-terminated heap text ("" when empty); caller frees */
    size_t len;
};
void agent_http_resp_cleanup(struct agent_http_resp *r);

/* POSTs `body` (JSON) to base_url + path and waits at most request_timeout_ms +
 * extra_wait_ms. Returns 0 with any HTTP status in *resp; SW_ECONNECT when the
 * coordinator cannot be reached or the transfer fails ("coordinator
 * http://127.0.0.1:7400 unreachable: Couldn't connect to server"); SW_ETOOBIG for a
 * response over AGENT_HTTP_MAX_BODY_BYTES. */
int agent_http_post(struct agent_http *h, const char *path, const char *body, int64_t extra_wait_ms,
                    struct agent_http_resp *resp, struct sw_err *err);

#endif
