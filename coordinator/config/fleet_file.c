/*
 * The fleet file: explicit shards, defaults and generated ranges (libconfig), checked
 * and sorted into struct fleet. Every message cites file:line and names the shard.
 */
#include "config/fleet_file.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "sw/fsutil.h"

#define RANGE_MAX_NUMBER 999999999
#define RANGE_MAX_WIDTH  12

/* A shard being built, with the line it came from (for duplicate reports). */
struct fleet_item {
    struct fleet_shard shard;
    int line;
};

struct fleet_parse {
    const char *name; /* file name in messages */
    struct fleet_shard defaults;
    bool has_default_engine;
    struct fleet_item *items;
    size_t n_items;
    size_t cap_items;
};

/* ---- shared checks ------------------------------------------------------------------- */

static bool is_id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int fleet_file_check_id(const char *what, const char *id, struct sw_err *err)
{
    size_t len = id != NULL ? strlen(id) : 0;
    if (len == 0) {
        return sw_err_set(err, SW_EINVAL, "%s must not be empty", what);
    }
    if (len > FLEET_ID_MAX) {
        return sw_err_set(err, SW_EINVAL, "%s is longer than %d characters", what, FLEET_ID_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_id_char(id[i])) {
            return sw_err_set(err, SW_EINVAL, "%s may only contain A-Z a-z 0-9 . _ : -", what);
        }
    }
    if (id[0] == '.') { /* ".." in a DSN template's {shard} would climb a directory */
        return sw_err_set(err, SW_EINVAL, "%s must not start with '.'", what);
    }
    return 0;
}

int fleet_file_check_label(const char *key, const char *value, struct sw_err *err)
{
    size_t klen = strlen(key);
    bool is_key_ok = klen > 0 && klen <= FLEET_LABEL_MAX;
    for (size_t i = 0; is_key_ok && i < klen; i++) {
        is_key_ok = is_key_char(key[i]);
    }
    if (!is_key_ok) {
        return sw_err_set(err, SW_EINVAL,
                          "label key '%.*s' must be 1 to %d characters of a-z 0-9 _ . -",
                          FLEET_LABEL_MAX, key, FLEET_LABEL_MAX);
    }
    size_t vlen = strlen(value);
    bool is_val_ok = vlen > 0 && vlen <= FLEET_LABEL_VAL_MAX;
    for (size_t i = 0; is_val_ok && i < vlen; i++) {
        is_val_ok = (unsigned char)value[i] >= 0x20 && value[i] != 0x7f;
    }
    if (!is_val_ok) {
        return sw_err_set(err, SW_EINVAL, "label '%s': value must be 1 to %d printable characters",
                          key, FLEET_LABEL_VAL_MAX);
    }
    return 0;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct fleet_label *)a)->key, ((const struct fleet_label *)b)->key);
}

int fleet_file_sort_labels(struct fleet_shard *s, struct sw_err *err)
{
    if (s->n_labels > 1) {
        qsort(s->labels, s->n_labels, sizeof s->labels[0], cmp_label);
    }
    for (size_t i = 1; i < s->n_labels; i++) {
        if (strcmp(s->labels[i - 1].key, s->labels[i].key) == 0) {
            return sw_err_set(err, SW_EINVAL, "duplicate label '%s'", s->labels[i].key);
        }
    }
    return 0;
}

static int check_shard(const struct fleet_shard *s, struct sw_err *err)
{
    if (fleet_file_check_id("id", s->id, err) != 0 ||
        fleet_file_check_id("pool", s->pool, err) != 0) {
        return SW_EINVAL;
    }
    if (s->n_labels > FLEET_MAX_LABELS) {
        return sw_err_set(err, SW_EINVAL, "more than %d labels", FLEET_MAX_LABELS);
    }
    for (size_t i = 0; i < s->n_labels; i++) {
        if (fleet_file_check_label(s->labels[i].key, s->labels[i].value, err) != 0) {
            return SW_EINVAL;
        }
        if (i > 0 && strcmp(s->labels[i - 1].key, s->labels[i].key) >= 0) {
            return sw_err_set(err, SW_EINVAL, "labels not sorted by key or not unique at '%s'",
                              s->labels[i].key);
        }
    }
    return 0;
}

int fleet_file_check_shard(const struct fleet_shard *s, struct sw_err *err)
{
    int rc = check_shard(s, err);
    if (rc != 0) {
        sw_err_prefix(err, "shard '%.*s'", FLEET_ID_MAX, s->id != NULL ? s->id : "");
    }
    return rc;
}

static int cmp_shard(const void *a, const void *b)
{
    return strcmp(((const struct fleet_shard *)a)->id, ((const struct fleet_shard *)b)->id);
}

int fleet_file_sort(struct fleet *f, struct sw_err *err)
{
    if (f->n_shards > 1) {
        qsort(f->shards, f->n_shards, sizeof f->shards[0], cmp_shard);
    }
    for (size_t i = 1; i < f->n_shards; i++) {
        if (strcmp(f->shards[i - 1].id, f->shards[i].id) == 0) {
            return sw_err_set(err, SW_EINVAL, "shard '%s': duplicate id", f->shards[i].id);
        }
    }
    return 0;
}

/* ---- libconfig helpers --------------------------------------------------------------- */

static int line_of(const config_setting_t *s)
{
    return (int)config_setting_source_line(s);
}

/* Every member of `group` must be one of `allowed` (NULL-terminated). */
static int check_members(const struct fleet_parse *p, const config_setting_t *group,
                         const char *const *allowed, const char *what, struct sw_err *err)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(m);
        bool is_known = false;
        for (size_t k = 0; allowed[k] != NULL && !is_known; k++) {
            is_known = strcmp(allowed[k], name) == 0;
        }
        if (!is_known) {
            return sw_err_set(err, SW_EINVAL, "%s:%d: %s: unknown setting '%s'", p->name,
                              line_of(m), what, name);
        }
    }
    return 0;
}

/* Optional string member: *out borrowed (NULL when absent). */
static int get_string(const struct fleet_parse *p, const config_setting_t *group, const char *key,
                      const char *what, const char **out, struct sw_err *err)
{
    const config_setting_t *m = config_setting_get_member(group, key);
    *out = NULL;
    if (m == NULL) {
        return 0;
    }
    if (config_setting_type(m) != CONFIG_TYPE_STRING) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s: %s must be a string", p->name, line_of(m),
                          what, key);
    }
    *out = config_setting_get_string(m);
    return 0;
}

static int get_int(const struct fleet_parse *p, const config_setting_t *group, const char *key,
                   const char *what, int64_t *out, struct sw_err *err)
{
    const config_setting_t *m = config_setting_get_member(group, key);
    if (m == NULL) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s: %s is required", p->name, line_of(group),
                          what, key);
    }
    int type = config_setting_type(m);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s: %s must be an integer", p->name, line_of(m),
                          what, key);
    }
    *out = config_setting_get_int64(m);
    return 0;
}

static int parse_engine(const struct fleet_parse *p, const config_setting_t *group,
                        const char *what, bool *has, enum migset_engine *out, struct sw_err *err)
{
    const char *name = NULL;
    if (get_string(p, group, "engine", what, &name, err) != 0) {
        return SW_EINVAL;
    }
    if (name == NULL) {
        return 0;
    }
    if (migset_engine_parse(name, strlen(name), out) != 0) {
        return sw_err_set(err, SW_EINVAL,
                          "%s:%d: %s: unknown engine '%.32s' (expected pg, mysql or sqlite)",
                          p->name, line_of(config_setting_get_member(group, "engine")), what, name);
    }
    *has = true;
    return 0;
}

/* ---- labels -------------------------------------------------------------------------- */

static int label_set(struct fleet_shard *s, const char *key, const char *value, struct sw_err *err)
{
    for (size_t i = 0; i < s->n_labels; i++) {
        if (strcmp(s->labels[i].key, key) == 0) {
            char *v = strdup(value);
            if (v == NULL) {
                return sw_err_set(err, SW_ENOMEM, "out of memory");
            }
            free(s->labels[i].value);
            s->labels[i].value = v;
            return 0;
        }
    }
    struct fleet_label *grown = realloc(s->labels, (s->n_labels + 1) * sizeof *grown);
    if (grown == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    s->labels = grown;
    struct fleet_label *l = &s->labels[s->n_labels];
    l->key = strdup(key);
    l->value = strdup(value);
    s->n_labels++;
    if (l->key == NULL || l->value == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

/* Merges the `labels` group of `group` (if any) into s. */
static int parse_labels(const struct fleet_parse *p, const config_setting_t *group,
                        const char *what, struct fleet_shard *s, struct sw_err *err)
{
    const config_setting_t *labels = config_setting_get_member(group, "labels");
    if (labels == NULL) {
        return 0;
    }
    if (config_setting_type(labels) != CONFIG_TYPE_GROUP) {
        return sw_err_set(err, SW_EINVAL,
                          "%s:%d: %s: labels must be a group, e.g. labels = { tier = \"canary\"; }",
                          p->name, line_of(labels), what);
    }
    int n = config_setting_length(labels);
    for (int i = 0; i < n; i++) {
        const config_setting_t *l = config_setting_get_elem(labels, (unsigned)i);
        if (config_setting_type(l) != CONFIG_TYPE_STRING) {
            return sw_err_set(err, SW_EINVAL, "%s:%d: %s: label '%s' must be a string", p->name,
                              line_of(l), what, config_setting_name(l));
        }
        if (label_set(s, config_setting_name(l), config_setting_get_string(l), err) != 0) {
            return SW_ENOMEM;
        }
    }
    return 0;
}

/* ---- building shards ----------------------------------------------------------------- */

static struct fleet_item *new_item(struct fleet_parse *p, int line, struct sw_err *err)
{
    if (p->n_items >= FLEET_MAX_SHARDS) {
        sw_err_set(err, SW_ETOOBIG, "%s:%d: more than %d shards", p->name, line, FLEET_MAX_SHARDS);
        return NULL;
    }
    if (p->n_items == p->cap_items) {
        size_t cap = p->cap_items == 0 ? 64 : p->cap_items * 2;
        struct fleet_item *grown = realloc(p->items, cap * sizeof *grown);
        if (grown == NULL) {
            sw_err_set(err, SW_ENOMEM, "out of memory");
            return NULL;
        }
        p->items = grown;
        p->cap_items = cap;
    }
    struct fleet_item *it = &p->items[p->n_items++];
    memset(it, 0, sizeof *it);
    it->line = line;
    return it;
}

/* Fills a new item from id, defaults and the group's engine/pool/labels, then checks it. */
static int build_shard(struct fleet_parse *p, const config_setting_t *group, const char *id,
                       int line, struct sw_err *err)
{
    struct fleet_item *it = new_item(p, line, err);
    if (it == NULL) {
        return err != NULL ? err->code : SW_ENOMEM;
    }
    struct fleet_shard *s = &it->shard;
    char what[FLEET_ID_MAX + 16];
    snprintf(what, sizeof what, "shard '%.*s'", FLEET_ID_MAX, id);
    bool has_engine = p->has_default_engine;
    s->engine = p->defaults.engine;
    const char *pool = NULL;
    if (parse_engine(p, group, what, &has_engine, &s->engine, err) != 0 ||
        get_string(p, group, "pool", what, &pool, err) != 0) {
        return SW_EINVAL;
    }
    if (!has_engine) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s: engine is required (pg, mysql or sqlite)",
                          p->name, line, what);
    }
    s->id = strdup(id);
    s->pool = strdup(pool != NULL ? pool : p->defaults.pool);
    if (s->id == NULL || s->pool == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->defaults.n_labels; i++) {
        if (label_set(s, p->defaults.labels[i].key, p->defaults.labels[i].value, err) != 0) {
            return SW_ENOMEM;
        }
    }
    if (parse_labels(p, group, what, s, err) != 0) {
        return err != NULL ? err->code : SW_EINVAL;
    }
    int rc = fleet_file_sort_labels(s, err);
    rc = rc != 0 ? rc : fleet_file_check_shard(s, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s:%d", p->name, line);
    }
    return rc;
}

static int parse_defaults(struct fleet_parse *p, const config_setting_t *root, struct sw_err *err)
{
    static const char *const allowed[] = {"pool", "engine", "labels", NULL};
    const config_setting_t *d = config_setting_get_member(root, "defaults");
    const char *pool = NULL;
    if (d != NULL && config_setting_type(d) != CONFIG_TYPE_GROUP) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: defaults must be a group", p->name, line_of(d));
    }
    if (d != NULL &&
        (check_members(p, d, allowed, "defaults", err) != 0 ||
         parse_engine(p, d, "defaults", &p->has_default_engine, &p->defaults.engine, err) != 0 ||
         get_string(p, d, "pool", "defaults", &pool, err) != 0 ||
         parse_labels(p, d, "defaults", &p->defaults, err) != 0)) {
        return err != NULL ? err->code : SW_EINVAL;
    }
    if ((p->defaults.pool = strdup(pool != NULL ? pool : "default")) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

/* The list `name` of groups at the top level, or NULL (absent); error when not a list. */
static int get_list(const struct fleet_parse *p, const config_setting_t *root, const char *name,
                    const config_setting_t **out, struct sw_err *err)
{
    *out = config_setting_get_member(root, name);
    if (*out == NULL) {
        return 0;
    }
    int type = config_setting_type(*out);
    if (type != CONFIG_TYPE_LIST &&
        !(type == CONFIG_TYPE_ARRAY && config_setting_length(*out) == 0)) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s must be a list of groups: %s = ( { ... } );",
                          p->name, line_of(*out), name, name);
    }
    for (int i = 0; i < config_setting_length(*out); i++) {
        const config_setting_t *g = config_setting_get_elem(*out, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            return sw_err_set(err, SW_EINVAL, "%s:%d: %s[%d] must be a group { ... }", p->name,
                              line_of(g), name, i);
        }
    }
    return 0;
}

static int parse_shards(struct fleet_parse *p, const config_setting_t *root, struct sw_err *err)
{
    static const char *const allowed[] = {"id", "engine", "pool", "labels", NULL};
    const config_setting_t *list = NULL;
    if (get_list(p, root, "shards", &list, err) != 0) {
        return SW_EINVAL;
    }
    int n = list != NULL ? config_setting_length(list) : 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        char what[FLEET_ID_MAX + 16];
        snprintf(what, sizeof what, "shards[%d]", i);
        const char *id = NULL;
        if (get_string(p, g, "id", what, &id, err) != 0) {
            return SW_EINVAL;
        }
        if (id == NULL) {
            return sw_err_set(err, SW_EINVAL, "%s:%d: %s: id is required", p->name, line_of(g),
                              what);
        }
        snprintf(what, sizeof what, "shard '%.*s'", FLEET_ID_MAX, id);
        if (check_members(p, g, allowed, what, err) != 0 ||
            build_shard(p, g, id, line_of(g), err) != 0) {
            return err != NULL ? err->code : SW_EINVAL;
        }
    }
    return 0;
}

static int range_bounds(const struct fleet_parse *p, const config_setting_t *g, const char *what,
                        int64_t b[3], struct sw_err *err)
{
    const config_setting_t *w = config_setting_get_member(g, "width");
    b[0] = b[1] = b[2] = 0; /* get_int leaves them unset on its error paths */
    if (get_int(p, g, "from", what, &b[0], err) != 0 ||
        get_int(p, g, "to", what, &b[1], err) != 0 ||
        (w != NULL && get_int(p, g, "width", what, &b[2], err) != 0)) {
        return SW_EINVAL;
    }
    if (b[0] < 0 || b[1] > RANGE_MAX_NUMBER || b[0] > b[1]) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s: need 0 <= from <= to <= %d", p->name,
                          line_of(g), what, RANGE_MAX_NUMBER);
    }
    if (b[2] < 0 || b[2] > RANGE_MAX_WIDTH) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s: width must be 0 to %d", p->name, line_of(g),
                          what, RANGE_MAX_WIDTH);
    }
    if (b[1] - b[0] >= FLEET_MAX_SHARDS) {
        return sw_err_set(err, SW_ETOOBIG, "%s:%d: %s: more than %d shards", p->name, line_of(g),
                          what, FLEET_MAX_SHARDS);
    }
    return 0;
}

static int parse_range(struct fleet_parse *p, const config_setting_t *g, int idx,
                       struct sw_err *err)
{
    static const char *const allowed[] = {"prefix", "from", "to",     "width",
                                          "engine", "pool", "labels", NULL};
    char what[32];
    snprintf(what, sizeof what, "ranges[%d]", idx);
    const char *prefix = NULL;
    int64_t b[3];
    if (check_members(p, g, allowed, what, err) != 0 ||
        get_string(p, g, "prefix", what, &prefix, err) != 0 ||
        range_bounds(p, g, what, b, err) != 0) {
        return err != NULL ? err->code : SW_EINVAL;
    }
    if (prefix == NULL) {
        prefix = "";
    }
    for (int64_t n = b[0]; n <= b[1]; n++) {
        char id[FLEET_ID_MAX + 2];
        int len = snprintf(id, sizeof id, "%s%0*" PRId64, prefix, (int)b[2], n);
        if (len < 0 || (size_t)len > FLEET_ID_MAX) {
            return sw_err_set(err, SW_EINVAL, "%s:%d: %s: ids would be longer than %d characters",
                              p->name, line_of(g), what, FLEET_ID_MAX);
        }
        if (build_shard(p, g, id, line_of(g), err) != 0) {
            return err != NULL ? err->code : SW_EINVAL;
        }
    }
    return 0;
}

static int parse_ranges(struct fleet_parse *p, const config_setting_t *root, struct sw_err *err)
{
    const config_setting_t *list = NULL;
    if (get_list(p, root, "ranges", &list, err) != 0) {
        return SW_EINVAL;
    }
    int n = list != NULL ? config_setting_length(list) : 0;
    for (int i = 0; i < n; i++) {
        int rc = parse_range(p, config_setting_get_elem(list, (unsigned)i), i, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int cmp_item(const void *a, const void *b)
{
    const struct fleet_item *x = a, *y = b;
    int c = strcmp(x->shard.id, y->shard.id);
    return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* Sorts the items, refuses duplicates, and moves the shards into *out. */
static int finish_fleet(struct fleet_parse *p, struct fleet *out, struct sw_err *err)
{
    if (p->n_items > 1) {
        qsort(p->items, p->n_items, sizeof p->items[0], cmp_item);
    }
    for (size_t i = 1; i < p->n_items; i++) {
        const struct fleet_item *a = &p->items[i - 1], *b = &p->items[i];
        if (strcmp(a->shard.id, b->shard.id) == 0) {
            return sw_err_set(err, SW_EINVAL, "%s:%d: shard '%s': duplicate id (first at line %d)",
                              p->name, b->line, b->shard.id, a->line);
        }
    }
    struct fleet_shard *shards = calloc(p->n_items + 1, sizeof *shards);
    if (shards == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < p->n_items; i++) {
        shards[i] = p->items[i].shard;
    }
    out->shards = shards;
    out->n_shards = p->n_items;
    p->n_items = 0;
    return 0;
}

static void parse_cleanup(struct fleet_parse *p)
{
    for (size_t i = 0; i < p->n_items; i++) {
        fleet_shard_cleanup(&p->items[i].shard);
    }
    free(p->items);
    fleet_shard_cleanup(&p->defaults);
}

static int parse_root(struct fleet_parse *p, const config_setting_t *root, struct fleet *out,
                      struct sw_err *err)
{
    static const char *const allowed[] = {"defaults", "shards", "ranges", NULL};
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(m);
        bool is_known = false;
        for (size_t k = 0; allowed[k] != NULL; k++) {
            is_known = is_known || strcmp(allowed[k], name) == 0;
        }
        if (!is_known) {
            sw_err_set(err, SW_EINVAL, "%s:%d: unknown setting '%s'", p->name, line_of(m), name);
            sw_err_hint(err, "a fleet file has defaults, shards and ranges");
            return SW_EINVAL;
        }
    }
    int rc = parse_defaults(p, root, err);
    rc = rc != 0 ? rc : parse_shards(p, root, err);
    rc = rc != 0 ? rc : parse_ranges(p, root, err);
    return rc != 0 ? rc : finish_fleet(p, out, err);
}

static int parse_config(config_t *cf, const char *name, int read_ok, struct fleet *out,
                        struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    if (read_ok != CONFIG_TRUE) {
        return sw_err_set(err, SW_EINVAL, "%s:%d: %s", name, config_error_line(cf),
                          config_error_text(cf));
    }
    struct fleet_parse p = {.name = name};
    int rc = parse_root(&p, config_root_setting(cf), out, err);
    parse_cleanup(&p);
    return rc;
}

int fleet_file_parse(const char *text, const char *name, struct fleet *out, struct sw_err *err)
{
    config_t cf;
    config_init(&cf);
    int rc = parse_config(&cf, name, config_read_string(&cf, text), out, err);
    config_destroy(&cf);
    return rc;
}

int fleet_file_load(const char *path, struct fleet *out, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int rc = sw_file_read(path, FLEET_FILE_MAX_BYTES, &text, &len, err);
    if (rc != 0) {
        return rc;
    }
    if (strlen(text) != len) {
        rc = sw_err_set(err, SW_EINVAL, "%s: contains a NUL byte", path);
    } else {
        rc = fleet_file_parse(text, path, out, err);
    }
    free(text);
    return rc;
}

/* ---- diff ---------------------------------------------------------------------------- */

static bool shard_same(const struct fleet_shard *a, const struct fleet_shard *b)
{
    if (a->engine != b->engine || strcmp(a->pool, b->pool) != 0 || a->n_labels != b->n_labels) {
        return false;
    }
    for (size_t i = 0; i < a->n_labels; i++) {
        if (strcmp(a->labels[i].key, b->labels[i].key) != 0 ||
            strcmp(a->labels[i].value, b->labels[i].value) != 0) {
            return false;
        }
    }
    return true;
}

static int push_id(char ***list, size_t *n, const char *id, struct sw_err *err)
{
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (grown == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    *list = grown;
    if ((grown[*n] = strdup(id)) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    (*n)++;
    return 0;
}

int fleet_file_diff(const struct fleet *old_fleet, const struct fleet *new_fleet,
                    struct fleet_diff *out, struct sw_err *err)
{
    size_t i = 0, j = 0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    while (rc == 0 && (i < old_fleet->n_shards || j < new_fleet->n_shards)) {
        const struct fleet_shard *a = i < old_fleet->n_shards ? &old_fleet->shards[i] : NULL;
        const struct fleet_shard *b = j < new_fleet->n_shards ? &new_fleet->shards[j] : NULL;
        int c = a == NULL ? 1 : (b == NULL ? -1 : strcmp(a->id, b->id));
        if (c < 0) {
            rc = push_id(&out->removed, &out->n_removed, a->id, err);
            i++;
        } else if (c > 0) {
            rc = push_id(&out->added, &out->n_added, b->id, err);
            j++;
        } else {
            rc = shard_same(a, b) ? 0 : push_id(&out->changed, &out->n_changed, a->id, err);
            i++, j++;
        }
    }
    if (rc != 0) {
        fleet_diff_cleanup(out);
    }
    return rc;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ids[i]);
    }
    free(ids);
}

void fleet_diff_cleanup(struct fleet_diff *d)
{
    if (d == NULL) {
        return;
    }
    free_ids(d->added, d->n_added);
    free_ids(d->removed, d->n_removed);
    free_ids(d->changed, d->n_changed);
    memset(d, 0, sizeof *d);
}
