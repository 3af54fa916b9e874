/*
 * Where a coordinator's redirect may lead (docs/ha.md, docs/protocol.md "Several
 * coordinators"): a follower answers writes and agent calls 307 with Location = the
 * leader's advertised URL + the same path. Agents and the CLI follow it themselves (a
 * library that follows redirects drops the bearer token on another host or port), and
 * only to a coordinator they were configured with, or to another port or path of the
 * same scheme and host as one of them. Pure (URL parsing with libcurl's URL API).
 */
#ifndef SW_PROTO_REDIRECT_H
#define SW_PROTO_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"

/* location: the redirect's absolute URL for request `path`; urls: the configured base
 * URLs (trailing '/' ignored). On success base (cap bytes) holds location without the
 * trailing path, and *is_listed says whether it is urls[*idx] itself. SW_EPROTO when the
 * location is not the same request, or names another scheme or host: "coordinator
 * redirected to http://x:1, which is not one of the configured coordinators". */
int sw_redirect_base(const char *location, const char *path, const char *const *urls, size_t n_urls,
                     char *base, size_t cap, size_t *idx, bool *is_listed, struct sw_err *err);

#endif
