/* Where a coordinator's redirect may lead (see sw/redirect.h). */
#include "sw/redirect.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define REDIRECT_ORIGIN_MAX 2048

/* "scheme://host" of a URL, lowercased; false when it does not parse. */
static bool redirect_origin(const char *url, char *buf, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
    if (ok) {
        int n = snprintf(buf, cap, "%s://%s", scheme, host);
        ok = n > 0 && (size_t)n < cap;
        for (char *p = buf; ok && *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* Whether url (trailing '/' ignored) is exactly base. */
static bool redirect_same(const char *url, const char *base)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') {
        n--;
    }
    return n == strlen(base) && strncmp(url, base, n) == 0;
}

int sw_redirect_base(const char *location, const char *path, const char *const *urls, size_t n_urls,
                     char *base, size_t cap, size_t *idx, bool *is_listed, struct sw_err *err)
{
    size_t ll = strlen(location);
    size_t pl = strlen(path);
    if (ll <= pl || strcmp(location + ll - pl, path) != 0 || ll - pl >= cap) {
        return sw_err_set(err, SW_EPROTO, "coordinator redirected %s to %s: not the same request",
                          path, location);
    }
    memcpy(base, location, ll - pl);
    base[ll - pl] = '\0';
    for (size_t i = 0; i < n_urls; i++) {
        if (redirect_same(urls[i], base)) {
            *idx = i;
            *is_listed = true;
            return 0;
        }
    }
    char want[REDIRECT_ORIGIN_MAX];
    char have[REDIRECT_ORIGIN_MAX];
    for (size_t i = 0; redirect_origin(base, want, sizeof want) && i < n_urls; i++) {
        if (redirect_origin(urls[i], have, sizeof have) && strcmp(want, have) == 0) {
            *is_listed = false;
            return 0;
        }
    }
    return sw_err_set(err, SW_EPROTO,
                      "coordinator redirected to %s, which is not one of the configured "
                      "coordinators",
                      base);
}
