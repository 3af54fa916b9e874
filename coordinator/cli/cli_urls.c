/* The CLI's coordinator list and leader following (see cli_urls.h). */
#include "cli_urls.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/redirect.h"

static int cli_urls_check(const char *url, struct sw_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    int rc = 0;
    if (u == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK) {
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    }
    if (uc != CURLUE_OK) {
        rc = sw_err_set(err, SW_EINVAL, "coordinator URL '%s': %s", url, curl_url_strerror(uc));
        sw_err_hint(err, "e.g. --coordinator http://127.0.0.1:7400");
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = sw_err_set(err, SW_EINVAL, "coordinator URL '%s': scheme must be http or https", url);
        sw_err_hint(err, "e.g. --coordinator https://coordinator.internal:7400");
    }
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

/* Adds one URL of the list (len bytes at p, spaces around trimmed). */
static int cli_urls_add(struct cli_urls *u, const char *p, size_t len, struct sw_err *err)
{
    while (len > 0 && (*p == ' ' || *p == '\t')) {
        p++, len--;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '/')) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    if (u->n == CLI_URLS_MAX) {
        return sw_err_set(err, SW_EINVAL, "more than %d coordinator URLs", CLI_URLS_MAX);
    }
    char *url = strndup(p, len);
    if (url == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    u->items[u->n++] = url;
    return cli_urls_check(url, err);
}

int cli_urls_parse(struct cli_urls *u, const char *list, struct sw_err *err)
{
    memset(u, 0, sizeof *u);
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        int rc = cli_urls_add(u, p, len, err);
        if (rc != 0) {
            return rc;
        }
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    if (u->n == 0) {
        return sw_err_set(err, SW_EINVAL, "coordinator URL '%s': no URL", list);
    }
    return 0;
}

void cli_urls_cleanup(struct cli_urls *u)
{
    for (size_t i = 0; i < u->n; i++) {
        free(u->items[i]);
    }
    memset(u, 0, sizeof *u);
}

const char *cli_urls_base(const struct cli_urls *u)
{
    return u->learned[0] != '\0' ? u->learned : u->items[u->cur];
}

void cli_urls_next(struct cli_urls *u)
{
    if (u->learned[0] != '\0') {
        u->learned[0] = '\0';
        return;
    }
    u->cur = (u->cur + 1) % u->n;
}

int cli_urls_follow(struct cli_urls *u, const char *location, const char *path, struct sw_err *err)
{
    char base[CLI_URLS_URL_MAX];
    size_t idx = 0;
    bool is_listed = false;
    int rc = sw_redirect_base(location, path, (const char *const *)u->items, u->n, base,
                              sizeof base, &idx, &is_listed, err);
    if (rc != 0) {
        sw_err_hint(err, "list every coordinator's advertise_url in --coordinator");
        return rc;
    }
    if (is_listed) {
        u->learned[0] = '\0';
        u->cur = idx;
    } else {
        snprintf(u->learned, sizeof u->learned, "%s", base);
    }
    return 0;
}
