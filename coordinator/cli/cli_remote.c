/* Options and the libcurl JSON client of the remote commands (see cli_remote.h). */
#include "cli_remote.h"
#include "cli_urls.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sw/build_info.h"
#include "sw/fsutil.h"
#include "sw/log.h"
#include "sw/numparse.h"
#include "sw/strbuf.h"

#define REMOTE_TOKEN_FILE_MAX (64u * 1024u)
#define REMOTE_TOKEN_MAX      4096u
#define REMOTE_CONNECT_MAX_S  10

struct cli_remote {
    CURL *curl;
    struct cli_urls urls;       /* the coordinators (cli_urls.h) */
    const char *base;           /* where the request goes: cli_urls_base() */
    struct curl_slist *headers; /* Authorization, Accept, Content-Type */
    const char *ca_file;        /* borrowed from the args */
    int timeout_s;
    char errbuf[CURL_ERROR_SIZE];
    json_t *last_error; /* the last API error's "error" object, or NULL */
};

static const struct option remote_options[] = {
    {"coordinator", required_argument, NULL, CLI_ROPT_COORDINATOR},
    {"token-file", required_argument, NULL, CLI_ROPT_TOKEN_FILE},
    {"ca-file", required_argument, NULL, CLI_ROPT_CA_FILE},
    {"timeout", required_argument, NULL, CLI_ROPT_TIMEOUT},
    {"json", no_argument, NULL, CLI_ROPT_JSON},
    {"log-level", required_argument, NULL, CLI_ROPT_LOG_LEVEL},
    {"help", no_argument, NULL, CLI_ROPT_HELP},
    {"drift", no_argument, NULL, CLI_ROPT_DRIFT},
    {"plan", required_argument, NULL, CLI_ROPT_PLAN},
    {"migrations", required_argument, NULL, CLI_ROPT_MIGRATIONS},
    {"reason", required_argument, NULL, CLI_ROPT_REASON},
    {"state", required_argument, NULL, CLI_ROPT_STATE},
    {"cancel-running", no_argument, NULL, CLI_ROPT_CANCEL_RUNNING},
    {"after", required_argument, NULL, CLI_ROPT_AFTER},
    {"wait", no_argument, NULL, CLI_ROPT_WAIT},
    {"wait-timeout", required_argument, NULL, CLI_ROPT_WAIT_TIMEOUT},
    {"allow-unsafe", no_argument, NULL, CLI_ROPT_ALLOW_UNSAFE},
    {"retry-failed", no_argument, NULL, CLI_ROPT_RETRY_FAILED},
    {NULL, 0, NULL, 0},
};

static const char *remote_opt_name(int id)
{
    for (size_t i = 0; remote_options[i].name != NULL; i++) {
        if (remote_options[i].val == id) {
            return remote_options[i].name;
        }
    }
    return "?";
}

static int remote_usage_error(const char *command, struct sw_err *err, const char *what)
{
    sw_err_set(err, SW_EINVAL, "%s: %s", command, what);
    sw_err_hint(err, "see 'shardwave %s --help'", command);
    return SW_EINVAL;
}

static int remote_log_level(const char *arg, struct sw_err *err)
{
    enum log_level level = LOG_WARN;
    if (log_level_parse(arg, &level) != 0) {
        sw_err_set(err, SW_EINVAL, "--log-level: unknown level '%s'", arg);
        sw_err_hint(err, "use error, warn, info, debug or trace");
        return SW_EINVAL;
    }
    log_setup(level);
    return 0;
}

static int remote_store_opt(int id, const char *arg, struct cli_remote_args *a, struct sw_err *err)
{
    int64_t after = 0;
    int rc = 0;
    switch ((enum cli_remote_opt)id) {
    case CLI_ROPT_COORDINATOR:
        a->coordinator = arg;
        return 0;
    case CLI_ROPT_TOKEN_FILE:
        a->token_file = arg;
        return 0;
    case CLI_ROPT_CA_FILE:
        a->ca_file = arg;
        return 0;
    case CLI_ROPT_TIMEOUT:
        return sw_parse_int(arg, 1, 3600, "--timeout", &a->timeout_s, err);
    case CLI_ROPT_JSON:
        a->json = true;
        return 0;
    case CLI_ROPT_LOG_LEVEL:
        return remote_log_level(arg, err);
    case CLI_ROPT_HELP:
        a->help = true;
        return 0;
    case CLI_ROPT_DRIFT:
        a->drift = true;
        return 0;
    case CLI_ROPT_PLAN:
        a->plan = arg;
        return 0;
    case CLI_ROPT_MIGRATIONS:
        a->migrations = arg;
        return 0;
    case CLI_ROPT_REASON:
        a->reason = arg;
        return 0;
    case CLI_ROPT_STATE:
        a->state = arg;
        return 0;
    case CLI_ROPT_CANCEL_RUNNING:
        a->cancel_running = true;
        return 0;
    case CLI_ROPT_AFTER:
        rc = sw_parse_int64(arg, 0, INT64_MAX, "--after", &after, err);
        a->after = (long long)after;
        return rc;
    case CLI_ROPT_WAIT:
        a->wait = true;
        return 0;
    case CLI_ROPT_WAIT_TIMEOUT:
        a->wait = true;
        return sw_parse_int(arg, 1, 86400, "--wait-timeout", &a->wait_timeout_s, err);
    case CLI_ROPT_ALLOW_UNSAFE:
        a->allow_unsafe = true;
        return 0;
    case CLI_ROPT_RETRY_FAILED:
        a->retry_failed = true;
        return 0;
    case CLI_ROPT_END:
        break;
    }
    return sw_err_set(err, SW_EINTERNAL, "option id %d not handled", id);
}

/* One getopt_long result; *done set at the end of the options. */
static int remote_parse_one(int argc, char **argv, unsigned allowed, struct cli_remote_args *a,
                            bool *done, struct sw_err *err)
{
    char bad[192];
    int c = getopt_long(argc, argv, ":h", remote_options, NULL);
    if (c == -1) {
        *done = true;
        return 0;
    }
    if (c == 'h') {
        c = CLI_ROPT_HELP;
    }
    if (c == '?' || c == ':') {
        /* getopt has stepped past the bad element (after moving positionals behind it). */
        const char *arg = argv[optind > 1 && optind <= argc ? optind - 1 : argc - 1];
        snprintf(bad, sizeof bad, "%s option '%s'", c == '?' ? "unknown" : "missing value for",
                 arg);
        return remote_usage_error(a->command, err, bad);
    }
    if (((allowed | CLI_REMOTE_GLOBAL) & CLI_REMOTE_OPT(c)) == 0) {
        snprintf(bad, sizeof bad, "option '--%s' does not apply here", remote_opt_name(c));
        return remote_usage_error(a->command, err, bad);
    }
    int rc = remote_store_opt(c, optarg, a, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", a->command);
    }
    return rc;
}

int cli_remote_args_parse(int argc, char **argv, const char *command, unsigned allowed,
                          size_t max_pos, struct cli_remote_args *out, struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    out->command = command;
    out->timeout_s = CLI_REMOTE_DEFAULT_TIMEOUT_S;
    out->wait_timeout_s = CLI_REMOTE_DEFAULT_WAIT_S;
    optind = 0; /* full re-initialisation: the wave command parses a second argv */
    opterr = 0;
    bool done = false;
    while (!done) {
        int rc = remote_parse_one(argc, argv, allowed, out, &done, err);
        if (rc != 0) {
            return rc;
        }
    }
    if (out->help) {
        return 0;
    }
    for (int i = optind; i < argc; i++) {
        if (out->n_pos >= max_pos || out->n_pos >= CLI_REMOTE_MAX_POS) {
            char bad[192];
            snprintf(bad, sizeof bad, "unexpected argument '%s'", argv[i]);
            return remote_usage_error(command, err, bad);
        }
        out->pos[out->n_pos++] = argv[i];
    }
    return 0;
}

/* Number of argv words the global option at argv[i] takes (1 or 2), or 0 when argv[i]
 * is not a global option. */
static int remote_global_words(char **argv, int i, int argc)
{
    static const char *const with_value[] = {"--coordinator", "--token-file", "--ca-file",
                                             "--timeout", "--log-level"};
    const char *w = argv[i];
    if (strcmp(w, "--json") == 0) {
        return 1;
    }
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
        size_t n = strlen(with_value[k]);
        if (strncmp(w, with_value[k], n) == 0 && w[n] == '=') {
            return 1;
        }
        if (strcmp(w, with_value[k]) == 0) {
            return i + 1 < argc ? 2 : 1;
        }
    }
    return 0;
}

int cli_remote_hoist_globals(int argc, char **argv)
{
    int k = 1;
    while (k < argc) {
        int n = remote_global_words(argv, k, argc);
        if (n == 0) {
            break;
        }
        k += n;
    }
    if (k == 1 || k >= argc) {
        return 0; /* nothing before the command word, or no command word at all */
    }
    /* Rotate argv[1..k] right by one: the command word first, then the options. */
    char *word = argv[k];
    memmove(&argv[2], &argv[1], (size_t)(k - 1) * sizeof argv[0]);
    argv[1] = word;
    return 0;
}

const char *cli_json_str(const json_t *obj, const char *key, const char *dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

long long cli_json_int(const json_t *obj, const char *key, long long dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

int cli_remote_print_json(const json_t *j, struct sw_err *err)
{
    if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', stdout) == EOF) {
        return sw_err_set(err, SW_EIO, "cannot write to standard output");
    }
    return 0;
}

/* ---- connection --------------------------------------------------------------------- */

static int remote_resolve_url(const struct cli_remote_args *a, struct cli_urls *out,
                              struct sw_err *err)
{
    const char *url = a->coordinator != NULL ? a->coordinator : getenv("SHARDWAVE_COORDINATOR");
    if (url == NULL || url[0] == '\0') {
        sw_err_set(err, SW_EINVAL, "%s: no coordinator given", a->command);
        sw_err_hint(err, "use --coordinator URL or set SHARDWAVE_COORDINATOR "
                         "(e.g. http://127.0.0.1:7400)");
        return SW_EINVAL;
    }
    return cli_urls_parse(out, url, err);
}

/* A token is one word of visible ASCII: it goes into a header line. */
static int remote_check_token(const char *tok, size_t len, const char *from, struct sw_err *err)
{
    if (len == 0) {
        return sw_err_set(err, SW_EINVAL, "%s: the token is empty", from);
    }
    if (len > REMOTE_TOKEN_MAX) {
        return sw_err_set(err, SW_EINVAL, "%s: the token is longer than %u bytes", from,
                          REMOTE_TOKEN_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)tok[i];
        if (c <= 0x20 || c >= 0x7f) {
            return sw_err_set(err, SW_EINVAL,
                              "%s: the token may only contain visible ASCII characters", from);
        }
    }
    return 0;
}

/* The token from the first line of path (surrounding white space ignored). */
static int remote_read_token_file(const char *path, char **out, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = sw_file_read(path, REMOTE_TOKEN_FILE_MAX, &text, &len, err);
    if (rc != 0) {
        sw_err_prefix(err, "token file");
        return rc;
    }
    size_t start = strspn(text, " \t\r\n");
    size_t end = start + strcspn(text + start, "\r\n");
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t')) {
        end--;
    }
    char from[1200];
    snprintf(from, sizeof from, "token file %s", path);
    rc = remote_check_token(text + start, end - start, from, err);
    if (rc == 0) {
        memmove(text, text + start, end - start);
        text[end - start] = '\0';
        *out = text;
        return 0;
    }
    free(text);
    return rc;
}

static int remote_resolve_token(const struct cli_remote_args *a, char **out, struct sw_err *err)
{
    const char *file = a->token_file != NULL ? a->token_file : getenv("SHARDWAVE_TOKEN_FILE");
    if (file != NULL && file[0] != '\0') {
        return remote_read_token_file(file, out, err);
    }
    const char *tok = getenv("SHARDWAVE_TOKEN");
    if (tok == NULL || tok[0] == '\0') {
        sw_err_set(err, SW_EINVAL, "%s: no token given", a->command);
        sw_err_hint(err, "use --token-file FILE, or set SHARDWAVE_TOKEN_FILE or SHARDWAVE_TOKEN");
        return SW_EINVAL;
    }
    int rc = remote_check_token(tok, strlen(tok), "SHARDWAVE_TOKEN", err);
    if (rc != 0) {
        return rc;
    }
    *out = strdup(tok);
    return *out == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
}

static int remote_headers(struct cli_remote *r, const char *token, struct sw_err *err)
{
    struct sw_strbuf auth;
    sw_strbuf_init(&auth, REMOTE_TOKEN_MAX + 64);
    int rc = sw_strbuf_printf(&auth, err, "Authorization: Bearer %s", token);
    const char *const lines[] = {sw_strbuf_str(&auth), "Accept: application/json",
                                 "Content-Type: application/json", "Expect:"};
    for (size_t i = 0; rc == 0 && i < sizeof lines / sizeof lines[0]; i++) {
        struct curl_slist *next = curl_slist_append(r->headers, lines[i]);
        if (next == NULL) {
            rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        } else {
            r->headers = next;
        }
    }
    /* The header copy in the list is the only one left; wipe ours. */
    if (auth.buf != NULL) {
        memset(auth.buf, 0, auth.len);
    }
    sw_strbuf_cleanup(&auth);
    return rc;
}

int cli_remote_open(const struct cli_remote_args *a, struct cli_remote **out, struct sw_err *err)
{
    char *token = NULL;
    struct cli_remote *r = calloc(1, sizeof *r);
    int rc = 0;
    if (r == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    r->ca_file = a->ca_file;
    if (a->ca_file != NULL && access(a->ca_file, R_OK) != 0) {
        int code = errno == ENOENT ? SW_ENOTFOUND : SW_EIO;
        rc = sw_err_set(err, code, "--ca-file %s: %s", a->ca_file, strerror(errno));
        goto out;
    }
    r->timeout_s = a->timeout_s > 0 ? a->timeout_s : CLI_REMOTE_DEFAULT_TIMEOUT_S;
    rc = remote_resolve_url(a, &r->urls, err);
    r->base = rc == 0 ? cli_urls_base(&r->urls) : NULL;
    if (rc == 0) {
        rc = remote_resolve_token(a, &token, err);
    }
    if (rc == 0) {
        rc = remote_headers(r, token, err);
    }
    if (rc != 0) {
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = sw_err_set(err, SW_EINTERNAL, "curl_global_init failed");
        goto out;
    }
    r->curl = curl_easy_init();
    if (r->curl == NULL) {
        curl_global_cleanup();
        rc = sw_err_set(err, SW_ENOMEM, "curl_easy_init failed");
    }
out:
    if (token != NULL) {
        memset(token, 0, strlen(token));
        free(token);
    }
    if (rc != 0) {
        cli_remote_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void cli_remote_free(struct cli_remote *r)
{
    if (r == NULL) {
        return;
    }
    if (r->curl != NULL) {
        curl_easy_cleanup(r->curl);
        curl_global_cleanup();
    }
    curl_slist_free_all(r->headers);
    json_decref(r->last_error);
    cli_urls_cleanup(&r->urls);
    free(r);
}

char *cli_remote_escape(struct cli_remote *r, const char *s)
{
    char *e = curl_easy_escape(r->curl, s, 0);
    if (e == NULL) {
        return NULL;
    }
    char *copy = strdup(e);
    curl_free(e);
    return copy;
}

/* ---- requests ----------------------------------------------------------------------- */

struct remote_sink {
    struct sw_strbuf body;
    bool is_too_big;
};

static size_t remote_on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct remote_sink *sink = ctx;
    size_t n = size * nmemb;
    if (sw_strbuf_append(&sink->body, data, n, NULL) != 0) {
        sink->is_too_big = true;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    return n;
}

static int remote_setup(struct cli_remote *r, const char *method, const char *url,
                        const char *payload, struct remote_sink *sink)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    r->errbuf[0] = '\0';
    CURLcode cc = curl_easy_setopt(c, CURLOPT_URL, url);
    cc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
    cc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    cc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    cc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "shardwave/" SW_VERSION_STRING);
    cc |= curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)r->timeout_s);
    cc |= curl_easy_setopt(
        c, CURLOPT_CONNECTTIMEOUT,
        (long)(r->timeout_s < REMOTE_CONNECT_MAX_S ? r->timeout_s : REMOTE_CONNECT_MAX_S));
    cc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, remote_on_data);
    cc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    if (r->ca_file != NULL) {
        cc |= curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
    }
    if (strcmp(method, "GET") == 0) {
        cc |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        cc |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        cc |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload != NULL ? payload : "");
        cc |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                               (curl_off_t)(payload != NULL ? strlen(payload) : 0));
    }
    return cc == CURLE_OK ? 0 : -1;
}

static bool remote_is_tls_error(CURLcode cc)
{
    return cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION ||
           cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CERTPROBLEM ||
           cc == CURLE_SSL_ISSUER_ERROR || cc == CURLE_SSL_CIPHER;
}

/* A transport failure (no HTTP answer) as an sw_err. */
static int remote_transport_error(const struct cli_remote *r, CURLcode cc,
                                  const struct remote_sink *sink, struct sw_err *err)
{
    const char *why = r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(cc);
    if (sink->is_too_big) {
        return sw_err_set(err, SW_ETOOBIG, "the coordinator's answer exceeds %u bytes",
                          CLI_REMOTE_MAX_RESPONSE_BYTES);
    }
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        sw_err_set(err, SW_ETIMEOUT, "no answer from the coordinator at %s within %d s", r->base,
                   r->timeout_s);
        sw_err_hint(err, "is it overloaded? a longer --timeout may help");
        return SW_ETIMEOUT;
    }
    sw_err_set(err, SW_ECONNECT, "cannot reach the coordinator at %s: %s", r->base, why);
    if (remote_is_tls_error(cc)) {
        sw_err_hint(err, "for a private CA pass its certificate with --ca-file FILE");
    } else {
        sw_err_hint(err, "is shardwave-coordinator running there? check --coordinator or "
                         "SHARDWAVE_COORDINATOR");
    }
    return SW_ECONNECT;
}

static int remote_status_code(long status)
{
    switch (status) {
    case 400:
        return SW_EINVAL;
    case 401:
    case 403:
        return SW_EAUTH;
    case 404:
        return SW_ENOTFOUND;
    case 405:
        return SW_EUNSUPPORTED;
    case 409:
        return SW_ECONFLICT;
    case 413:
        return SW_ETOOBIG;
    case 503:
        return SW_ECONNECT;
    }
    return status >= 500 ? SW_EINTERNAL : SW_EINVAL;
}

static const char *remote_default_hint(long status)
{
    switch (status) {
    case 401:
        return "check the token: --token-file FILE, SHARDWAVE_TOKEN_FILE or SHARDWAVE_TOKEN";
    case 403:
        return "this needs a token with the operator role";
    case 503:
        return "the coordinator is shutting down; retry when it is back";
    }
    return NULL;
}

/* One detail list item: a string, or an object's scalar members as "k=v k=v". Items
 * the message already names (by the string or the object's "id") are left out. */
static void remote_detail_item(const json_t *item, const char *msg, struct sw_strbuf *sb)
{
    const char *name =
        json_is_string(item) ? json_string_value(item) : cli_json_str(item, "id", NULL);
    if (name != NULL && strstr(msg, name) != NULL) {
        return;
    }
    if (json_is_string(item)) {
        sw_strbuf_printf(sb, NULL, "\n  %s", json_string_value(item));
        return;
    }
    sw_strbuf_puts(sb, "\n ", NULL);
    const char *key = NULL;
    const json_t *v = NULL;
    json_object_foreach((json_t *)item, key, v)
    {
        if (json_is_string(v)) {
            sw_strbuf_printf(sb, NULL, " %s=%s", key, json_string_value(v));
        } else if (json_is_integer(v)) {
            sw_strbuf_printf(sb, NULL, " %s=%lld", key, (long long)json_integer_value(v));
        }
    }
}

/* Every array member of obj (problems, shards, ...) as lines after the message. */
static void remote_append_details(const json_t *obj, const char *msg, struct sw_strbuf *sb)
{
    const char *key = NULL;
    const json_t *v = NULL;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_array(v)) {
            continue;
        }
        size_t i = 0;
        const json_t *item = NULL;
        json_array_foreach(v, i, item)
        {
            remote_detail_item(item, msg, sb);
        }
    }
}

int cli_remote_http_error(const char *base, long status, const char *body, struct sw_err *err)
{
    int code = remote_status_code(status);
    json_t *root = json_loads(body, 0, NULL);
    const json_t *e = json_object_get(root, "error");
    const char *msg = cli_json_str(e, "message", NULL);
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, SW_ERR_MSG_MAX);
    if (msg != NULL) {
        sw_strbuf_puts(&sb, msg, NULL);
        remote_append_details(e, msg, &sb);
        remote_append_details(root, msg, &sb);
    } else {
        sw_strbuf_printf(&sb, NULL, "the coordinator at %s answered HTTP %ld", base, status);
    }
    sw_err_set(err, code, "%s", sw_strbuf_str(&sb));
    const char *hint = cli_json_str(e, "hint", remote_default_hint(status));
    if (hint != NULL) {
        sw_err_hint(err, "%s", hint);
    }
    log_debug("HTTP %ld, error code %s", status, cli_json_str(e, "code", "-"));
    sw_strbuf_cleanup(&sb);
    json_decref(root);
    return code;
}

static int remote_parse_reply(const char *body, json_t **reply, struct sw_err *err)
{
    json_error_t je;
    json_t *root = json_loads(body, 0, &je);
    if (root == NULL) {
        return sw_err_set(err, SW_EINTERNAL,
                          "the coordinator's answer is not JSON: line %d column %d: %s", je.line,
                          je.column, je.text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return sw_err_set(err, SW_EINTERNAL, "the coordinator's answer is not a JSON object");
    }
    *reply = root;
    return 0;
}

/* Keeps the "error" object of an error answer for cli_remote_last_error. */
static void remote_keep_error(struct cli_remote *r, const char *body)
{
    json_t *root = json_loads(body, 0, NULL);
    json_t *e = json_object_get(root, "error");
    r->last_error = json_is_object(e) ? json_incref(e) : NULL;
    json_decref(root);
}

const json_t *cli_remote_last_error(const struct cli_remote *r)
{
    return r != NULL ? r->last_error : NULL;
}

/* One request to r->base + path: 0 with the status in *http, or a transport error. */
static int remote_once(struct cli_remote *r, const char *method, const char *path,
                       const char *payload, struct remote_sink *sink, long *http,
                       struct sw_err *err)
{
    struct sw_strbuf url;
    sw_strbuf_init(&url, 16384);
    sw_strbuf_reset(&sink->body);
    sink->is_too_big = false;
    int rc = sw_strbuf_printf(&url, err, "%s%s", r->base, path);
    if (rc == 0 && remote_setup(r, method, sw_strbuf_str(&url), payload, sink) != 0) {
        rc = sw_err_set(err, SW_EINTERNAL, "cannot set up the HTTP request");
    }
    if (rc == 0) {
        log_debug("%s %s", method, sw_strbuf_str(&url));
        CURLcode cc = curl_easy_perform(r->curl);
        rc = cc != CURLE_OK ? remote_transport_error(r, cc, sink, err) : 0;
    }
    if (rc == 0) {
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, http);
    }
    sw_strbuf_cleanup(&url);
    return rc;
}

/* Several coordinators: the next one after a connection failure or a 503 (shutting down,
 * or no leader known yet), each once; a follower's 307/308 is followed to the leader. */
static int remote_send(struct cli_remote *r, const char *method, const char *path,
                       const char *payload, struct remote_sink *sink, long *http,
                       struct sw_err *err)
{
    size_t n_tries = r->urls.n + (r->urls.learned[0] != '\0');
    int n_hops = 0;
    for (size_t n_failed = 0;;) {
        r->base = cli_urls_base(&r->urls);
        int rc = remote_once(r, method, path, payload, sink, http, err);
        if ((rc == SW_ECONNECT || (rc == 0 && *http == 503)) && ++n_failed < n_tries) {
            cli_urls_next(&r->urls);
            continue;
        }
        if (rc != 0 || (*http != 307 && *http != 308)) {
            return rc;
        }
        char *location = NULL;
        curl_easy_getinfo(r->curl, CURLINFO_REDIRECT_URL, &location);
        if (++n_hops > 3 || location == NULL) {
            return sw_err_set(err, SW_EPROTO, "the coordinator at %s redirected %s %s", r->base,
                              location != NULL ? "again to" : "without a Location",
                              location != NULL ? location : "");
        }
        log_info("coordinator %s is not the leader: following it to %s", r->base, location);
        rc = cli_urls_follow(&r->urls, location, path, err);
        if (rc != 0) {
            return rc;
        }
    }
}

int cli_remote_call(struct cli_remote *r, const char *method, const char *path, json_t *body,
                    json_t **reply, long *status, struct sw_err *err)
{
    struct remote_sink sink = {0};
    char *payload = NULL;
    long http = 0;
    int rc = 0;
    sw_strbuf_init(&sink.body, CLI_REMOTE_MAX_RESPONSE_BYTES);
    json_decref(r->last_error);
    r->last_error = NULL;
    if (body != NULL && (payload = json_dumps(body, JSON_COMPACT)) == NULL) {
        rc = sw_err_set(err, SW_EINVAL, "cannot encode the request (invalid UTF-8 text?)");
        goto out;
    }
    rc = remote_send(r, method, path, payload, &sink, &http, err);
    if (rc != 0) {
        goto out;
    }
    if (status != NULL) {
        *status = http;
    }
    if (http < 200 || http >= 300) {
        rc = cli_remote_http_error(r->base, http, sw_strbuf_str(&sink.body), err);
        remote_keep_error(r, sw_strbuf_str(&sink.body));
        goto out;
    }
    rc = remote_parse_reply(sw_strbuf_str(&sink.body), reply, err);
out:
    free(payload);
    sw_strbuf_cleanup(&sink.body);
    return rc;
}
