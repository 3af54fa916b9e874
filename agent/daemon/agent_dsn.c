/*
 * Shard DSNs: template expansion with secret placeholders, the shards file of
 * per-shard overrides, and resolution of one shard's DSN at connect time.
 */
#include "daemon/agent_dsn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libconfig.h>

#include "sw/fsutil.h"
#include "sw/strbuf.h"

#define AGENT_DSN_ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
#define AGENT_DSN_ID_MAX   128

static bool agent_dsn_id_ok(const char *id)
{
    size_t len = strlen(id);
    return len >= 1 && len <= AGENT_DSN_ID_MAX && strspn(id, AGENT_DSN_ID_CHARS) == len;
}

/* Appends a secret value, encoded for the DSN's syntax. */
static int agent_dsn_put_secret(struct sw_strbuf *sb, const char *val, bool is_url,
                                struct sw_err *err)
{
    if (is_url) {
        char *enc = curl_easy_escape(NULL, val, (int)strlen(val));
        if (enc == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory encoding a DSN");
        }
        int rc = sw_strbuf_puts(sb, enc, err);
        curl_free(enc);
        return rc;
    }
    int rc = 0;
    for (const char *p = val; *p != '\0' && rc == 0; p++) {
        if (*p == '\'' || *p == '\\') {
            rc = sw_strbuf_append(sb, "\\", 1, err);
        }
        if (rc == 0) {
            rc = sw_strbuf_append(sb, p, 1, err);
        }
    }
    return rc;
}

/* Appends the value of one placeholder `name` (the text between the braces). */
static int agent_dsn_put_placeholder(struct sw_strbuf *sb, const char *name, const char *what,
                                     const struct agent_dsn_vars *vars, bool is_url,
                                     struct sw_err *err)
{
    if (strcmp(name, "shard") == 0) {
        return sw_strbuf_puts(sb, vars->shard, err);
    }
    if (strcmp(name, "password") == 0) {
        if (vars->password == NULL) {
            return sw_err_set(err, SW_EINVAL, "%s: {password} is used but password_file is not set",
                              what);
        }
        return agent_dsn_put_secret(sb, vars->password, is_url, err);
    }
    if (strncmp(name, "env:", 4) == 0 && name[4] != '\0') {
        const char *val = vars->getenv_fn != NULL ? vars->getenv_fn(vars->env_ctx, name + 4) : NULL;
        if (val == NULL) {
            return sw_err_set(err, SW_EINVAL, "%s: environment variable %s is not set", what,
                              name + 4);
        }
        return agent_dsn_put_secret(sb, val, is_url, err);
    }
    return sw_err_set(err, SW_EINVAL,
                      "%s: unknown placeholder '{%.64s}' (known: {shard}, {password}, {env:NAME})",
                      what, name);
}

int agent_dsn_expand(const char *tmpl, const char *what, const struct agent_dsn_vars *vars,
                     char **out, struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, AGENT_DSN_MAX);
    bool is_url = strstr(tmpl, "://") != NULL;
    int rc = 0;
    *out = NULL;
    for (const char *p = tmpl; *p != '\0' && rc == 0;) {
        size_t n = strcspn(p, "{");
        rc = sw_strbuf_append(&sb, p, n, err);
        p += n;
        if (rc != 0 || *p == '\0') {
            break;
        }
        const char *close = strchr(p, '}');
        if (close == NULL || close - p > 256) {
            rc = sw_err_set(err, SW_EINVAL, "%s: unterminated placeholder at offset %zu", what,
                            (size_t)(p - tmpl));
            break;
        }
        char name[258];
        snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
        rc = agent_dsn_put_placeholder(&sb, name, what, vars, is_url, err);
        p = close + 1;
    }
    if (rc == SW_ETOOBIG) {
        sw_err_set(err, SW_ETOOBIG, "%s: expanded DSN exceeds %d bytes", what, AGENT_DSN_MAX);
    }
    if (rc == 0) {
        *out = sw_strbuf_take(&sb);
    }
    if (sb.buf != NULL) {
        memset(sb.buf, 0, sb.cap); /* may hold a secret */
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* ---- the shards file --------------------------------------------------------------------- */

static void agent_dsn_shard_cleanup(struct agent_dsn_shard *s)
{
    free(s->id);
    free(s->dsn);
    free(s->dsn_file);
    memset(s, 0, sizeof *s);
}

/* Reads one { id; dsn | dsn_file } group into s. `where` is "<name>:<line>: shards[i]". */
static int agent_dsn_shard_parse(const config_setting_t *g, const char *where,
                                 struct agent_dsn_shard *s, struct sw_err *err)
{
    if (!config_setting_is_group(g)) {
        return sw_err_set(err, SW_EINVAL, "%s: expected a group { id = \"...\"; dsn = \"...\"; }",
                          where);
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const char *key = config_setting_name(config_setting_get_elem(g, (unsigned)i));
        if (strcmp(key, "id") != 0 && strcmp(key, "dsn") != 0 && strcmp(key, "dsn_file") != 0) {
            return sw_err_set(err, SW_EINVAL, "%s: unknown setting '%s'", where, key);
        }
    }
    const char *id = NULL;
    const char *dsn = NULL;
    const char *dsn_file = NULL;
    if (config_setting_lookup_string(g, "id", &id) != CONFIG_TRUE || !agent_dsn_id_ok(id)) {
        return sw_err_set(err, SW_EINVAL,
                          "%s: id: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -", where);
    }
    bool has_dsn = config_setting_lookup_string(g, "dsn", &dsn) == CONFIG_TRUE;
    bool has_file = config_setting_lookup_string(g, "dsn_file", &dsn_file) == CONFIG_TRUE;
    if (has_dsn == has_file || (has_dsn && dsn[0] == '\0') || (has_file && dsn_file[0] == '\0')) {
        return sw_err_set(err, SW_EINVAL, "%s: set exactly one of dsn and dsn_file", where);
    }
    s->id = strdup(id);
    s->dsn = has_dsn ? strdup(dsn) : NULL;
    s->dsn_file = has_file ? strdup(dsn_file) : NULL;
    if (s->id == NULL || (has_dsn && s->dsn == NULL) || (has_file && s->dsn_file == NULL)) {
        return sw_err_set(err, SW_ENOMEM, "out of memory reading the shards file");
    }
    return 0;
}

static int agent_dsn_shard_cmp(const void *a, const void *b)
{
    return strcmp(((const struct agent_dsn_shard *)a)->id, ((const struct agent_dsn_shard *)b)->id);
}

static int agent_dsn_parse_list(struct agent_dsn_table *t, const config_setting_t *list,
                                const char *name, struct sw_err *err)
{
    size_t n = (size_t)config_setting_length(list);
    if (n > AGENT_DSN_MAX_SHARDS) {
        return sw_err_set(err, SW_ETOOBIG, "%s: more than %u shards", name, AGENT_DSN_MAX_SHARDS);
    }
    t->shards = calloc(n + 1, sizeof *t->shards);
    if (t->shards == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory reading the shards file");
    }
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char where[512];
        snprintf(where, sizeof where, "%s:%d: shards[%zu]", name, config_setting_source_line(g), i);
        int rc = agent_dsn_shard_parse(g, where, &t->shards[i], err);
        t->n_shards = i + 1;
        if (rc != 0) {
            return rc;
        }
    }
    qsort(t->shards, t->n_shards, sizeof *t->shards, agent_dsn_shard_cmp);
    for (size_t i = 1; i < t->n_shards; i++) {
        if (strcmp(t->shards[i - 1].id, t->shards[i].id) == 0) {
            return sw_err_set(err, SW_EINVAL, "%s: duplicate shard id %s", name, t->shards[i].id);
        }
    }
    return 0;
}

int agent_dsn_table_parse(struct agent_dsn_table *t, const char *text, const char *name,
                          struct sw_err *err)
{
    config_t cf;
    config_init(&cf);
    int rc = 0;
    if (config_read_string(&cf, text) != CONFIG_TRUE) {
        rc = sw_err_set(err, SW_EINVAL, "%s:%d: %s", name, config_error_line(&cf),
                        config_error_text(&cf));
        goto out;
    }
    config_setting_t *root = config_root_setting(&cf);
    for (int i = 0; i < config_setting_length(root); i++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        if (strcmp(config_setting_name(s), "shards") != 0) {
            rc = sw_err_set(err, SW_EINVAL, "%s:%d: unknown setting '%s' (expected shards)", name,
                            config_setting_source_line(s), config_setting_name(s));
            goto out;
        }
    }
    config_setting_t *list = config_lookup(&cf, "shards");
    if (list == NULL || (!config_setting_is_list(list) && !config_setting_is_array(list))) {
        rc = sw_err_set(err, SW_EINVAL, "%s: expected a list 'shards = ( {...}, ... )'", name);
        goto out;
    }
    rc = agent_dsn_parse_list(t, list, name, err);
out:
    config_destroy(&cf);
    return rc;
}

/* The first line of a small file, trailing white space removed. */
static int agent_dsn_read_line(const char *path, const char *what, char **out, struct sw_err *err)
{
    size_t len = 0;
    int rc = sw_file_read(path, AGENT_DSN_FILE_MAX, out, &len, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", what);
        return rc;
    }
    (*out)[strcspn(*out, "\r\n")] = '\0';
    return 0;
}

int agent_dsn_table_load(struct agent_dsn_table *t, const char *dsn_template,
                         const char *password_file, const char *shards_file, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    memset(t, 0, sizeof *t);
    if (dsn_template == NULL && shards_file == NULL) {
        rc = sw_err_set(err, SW_EINVAL, "no shard DSNs: set dsn_template or shards_file");
        goto out;
    }
    if (dsn_template != NULL && (t->dsn_template = strdup(dsn_template)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    if (password_file != NULL &&
        (rc = agent_dsn_read_line(password_file, "password_file", &t->password, err)) != 0) {
        goto out;
    }
    if (shards_file != NULL) {
        rc = sw_file_read(shards_file, AGENT_DSN_SHARDS_BYTES, &text, &len, err);
        if (rc != 0) {
            sw_err_prefix(err, "shards_file");
            goto out;
        }
        rc = agent_dsn_table_parse(t, text, shards_file, err);
    }
out:
    free(text);
    if (rc != 0) {
        agent_dsn_table_cleanup(t);
    }
    return rc;
}

void agent_dsn_table_cleanup(struct agent_dsn_table *t)
{
    for (size_t i = 0; i < t->n_shards; i++) {
        agent_dsn_shard_cleanup(&t->shards[i]);
    }
    free(t->shards);
    free(t->dsn_template);
    if (t->password != NULL) {
        memset(t->password, 0, strlen(t->password));
        free(t->password);
    }
    memset(t, 0, sizeof *t);
}

static const struct agent_dsn_shard *agent_dsn_find(const struct agent_dsn_table *t,
                                                    const char *shard)
{
    struct agent_dsn_shard key = {.id = (char *)shard};
    if (t->n_shards == 0) {
        return NULL;
    }
    return bsearch(&key, t->shards, t->n_shards, sizeof *t->shards, agent_dsn_shard_cmp);
}

int agent_dsn_resolve(const struct agent_dsn_table *t, const char *shard,
                      agent_dsn_env_fn getenv_fn, void *env_ctx, char **out, struct sw_err *err)
{
    struct agent_dsn_vars vars = {
        .shard = shard, .password = t->password, .getenv_fn = getenv_fn, .env_ctx = env_ctx};
    char *file_text = NULL;
    char what[256];
    int rc = 0;
    *out = NULL;
    if (!agent_dsn_id_ok(shard)) {
        return sw_err_set(err, SW_EINVAL,
                          "shard id '%.128s': expected 1 to 128 characters of "
                          "A-Z a-z 0-9 . _ : -",
                          shard);
    }
    const struct agent_dsn_shard *s = agent_dsn_find(t, shard);
    const char *tmpl = t->dsn_template;
    snprintf(what, sizeof what, "dsn_template");
    if (s != NULL && s->dsn != NULL) {
        tmpl = s->dsn;
        snprintf(what, sizeof what, "shard %s dsn", shard);
    } else if (s != NULL) {
        snprintf(what, sizeof what, "shard %s dsn_file %s", shard, s->dsn_file);
        rc = agent_dsn_read_line(s->dsn_file, what, &file_text, err);
        tmpl = file_text;
    }
    if (rc == 0 && tmpl == NULL) {
        rc = sw_err_set(err, SW_ENOTFOUND,
                        "shard %s: no DSN (not in the shards file and no dsn_template)", shard);
    }
    if (rc == 0) {
        rc = agent_dsn_expand(tmpl, what, &vars, out, err);
    }
    if (file_text != NULL) {
        memset(file_text, 0, strlen(file_text));
        free(file_text);
    }
    return rc;
}

const char *agent_dsn_process_env(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}
