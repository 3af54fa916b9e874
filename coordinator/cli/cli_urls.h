/*
 * The coordinators the CLI may talk to (--coordinator URL[,URL...], docs/ha.md): the list,
 * the one requests go to now, moving on when one cannot be reached or has no leader, and
 * following a follower's 307 to the leader (only to a listed coordinator, or another port
 * of a listed host: the token is re-sent by us, never by libcurl).
 */
#ifndef SW_CLI_CLI_URLS_H
#define SW_CLI_CLI_URLS_H

#include <stddef.h>

#include "sw/err.h"

#define CLI_URLS_MAX     8
#define CLI_URLS_URL_MAX 2048

struct cli_urls {
    char *items[CLI_URLS_MAX]; /* without trailing '/' */
    size_t n;
    size_t cur;
    char learned[CLI_URLS_URL_MAX]; /* a followed redirect off the list; "" = none */
};

/* Parses "URL[,URL...]" (http or https each). SW_EINVAL naming a bad one:
 * "coordinator URL 'ftp://x': scheme must be http or https". Clean up with
 * cli_urls_cleanup, also after a failure. */
int cli_urls_parse(struct cli_urls *u, const char *list, struct sw_err *err);
void cli_urls_cleanup(struct cli_urls *u);
/* Where requests go now (borrowed). */
const char *cli_urls_base(const struct cli_urls *u);
/* The current one failed: the next (a followed redirect is forgotten first). */
void cli_urls_next(struct cli_urls *u);
/* A 307/308 for `path` to `location`: goes there if allowed (sw/redirect.h), else
 * SW_EPROTO. */
int cli_urls_follow(struct cli_urls *u, const char *location, const char *path, struct sw_err *err);

#endif
