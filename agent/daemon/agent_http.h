/*
 * The agent's HTTP client to the coordinator (libcurl): JSON POSTs with the bearer
 * token, connect and request timeouts, an optional CA file, bounded response bodies.
 * One struct agent_http per thread (it owns a curl easy handle).
 *
 * Several coordinators (docs/ha.md): the client knows a list of base URLs. A request
 * goes to the one that answered last; when it cannot be reached, or answers 503
 * not_leader (no leader known), the next is tried at once (each once per round); when
 * every one answered 503 not_leader (an election), a new round starts a second later,
 * within the request timeout. A
 * follower's 307 is followed here, not by libcurl (which would drop the token on
 * another host or port): only to a URL of the list, or to another port or path of a
 * listed host and scheme, re-sending the body and the token.
 */
#ifndef SW_AGENT_DAEMON_AGENT_HTTP_H
#define SW_AGENT_DAEMON_AGENT_HTTP_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"

#define AGENT_HTTP_MAX_BODY_BYTES (512u * 1024u * 1024u)
#define AGENT_HTTP_MAX_REDIRECTS  3

struct agent_http_opts {
    const char *const *urls; /* base URLs, "https://coordinator:7400" (no trailing path) */
    size_t n_urls;           /* >= 1 */
    /* The index of the URL that answered last, shared by the clients of one agent so a
     * leader found by one thread is used by all; NULL = per client. */
    atomic_size_t *shared_idx;
    const char *token;   /* bearer token; borrowed, must outlive the client */
    const char *ca_file; /* NULL = system CAs */
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    /* When not NULL, a request in progress is abandoned (SW_ECONNECT) as soon as
     * *abort_flag is non-zero: a long-poll must not delay shutdown. */
    const volatile sig_atomic_t *abort_flag;
};

struct agent_http;

/* Creates a client; copies the URLs and ca_file; the token stays borrowed. */
int agent_http_new(const struct agent_http_opts *opts, struct agent_http **out, struct sw_err *err);
void agent_http_free(struct agent_http *h);

struct agent_http_resp {
    long status; /* HTTP status */
    char *body;  /* NUL-terminated heap text ("" when empty); caller frees */
    size_t len;
};
void agent_http_resp_cleanup(struct agent_http_resp *r);

/* POSTs `body` (JSON) to the current base URL + path and waits at most
 * request_timeout_ms + extra_wait_ms per try; tries the other URLs and follows the
 * leader's redirects as described above. Returns 0 with any final HTTP status in *resp
 * (a 503 not_leader when no coordinator knows a leader yet); SW_ECONNECT when no
 * coordinator can be reached or the transfers fail ("coordinator http://127.0.0.1:7400
 * unreachable: Couldn't connect to server", the last one tried); SW_EPROTO for a
 * redirect elsewhere than the configured coordinators; SW_ETOOBIG for a response over
 * AGENT_HTTP_MAX_BODY_BYTES. */
int agent_http_post(struct agent_http *h, const char *path, const char *body, int64_t extra_wait_ms,
                    struct agent_http_resp *resp, struct sw_err *err);
/* The base URL requests go to now (borrowed, valid until the next call). */
const char *agent_http_base(const struct agent_http *h);

#endif
