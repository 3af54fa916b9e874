/*
 * shardwave.sum: parse, render and (re)write the manifest of migration checksums.
 * Entries are kept sorted by name so lookups stay fast for large sets.
 */
#include "sw/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "sw/fsutil.h"
#include "sw/migset.h"
#include "sw/strbuf.h"

#define MANIFEST_HEADER                                                                            \
    "# shardwave.sum v1: SHA-256 of each migration (CRLF folded). Written by shardwave; do "       \
    "not edit.\n"

struct manifest_parsed {
    struct manifest_entry entry;
    int line;
};

struct manifest_builder {
    struct manifest_parsed *items;
    size_t n_items;
    size_t cap;
};

static bool manifest_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool manifest_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int manifest_bad_line(struct sw_err *err, int line)
{
    int rc =
        sw_err_set(err, SW_EINVAL, MANIFEST_FILE_NAME ":%d: expected '<sha256>  <file>'", line);
    sw_err_hint(err, "regenerate it with `shardwave sum DIR` (only if no migration was edited)");
    return rc;
}

/* Parses one non-comment line s[0..len) into the builder. */
static int manifest_parse_line(struct manifest_builder *b, const char *s, size_t len, int line,
                               struct sw_err *err)
{
    size_t i = 0;
    while (i < len && manifest_is_hex(s[i])) {
        i++;
    }
    if (i != CHECKSUM_HEX_LEN || i == len || !manifest_is_blank(s[i])) {
        return manifest_bad_line(err, line);
    }
    while (i < len && manifest_is_blank(s[i])) {
        i++;
    }
    const char *name = s + i;
    size_t name_len = len - i;
    if (name_len == 0 || memchr(name, '/', name_len) != NULL ||
        memchr(name, '\0', name_len) != NULL) {
        return manifest_bad_line(err, line);
    }
    if (b->n_items == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct manifest_parsed *grown = realloc(b->items, cap * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        b->items = grown;
        b->cap = cap;
    }
    struct manifest_parsed *p = &b->items[b->n_items];
    *p = (struct manifest_parsed){.line = line};
    p->entry.name = malloc(name_len + 1);
    if (p->entry.name == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    memcpy(p->entry.name, name, name_len);
    p->entry.name[name_len] = '\0';
    memcpy(p->entry.checksum, s, CHECKSUM_HEX_LEN);
    p->entry.checksum[CHECKSUM_HEX_LEN] = '\0';
    b->n_items++;
    return 0;
}

static int manifest_cmp_parsed(const void *a, const void *b)
{
    const struct manifest_parsed *x = a;
    const struct manifest_parsed *y = b;
    int c = strcmp(x->entry.name, y->entry.name);
    return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static int manifest_parse_lines(struct manifest_builder *b, const char *text, size_t len,
                                struct sw_err *err)
{
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        line++;
        pos = end + 1;
        while (n > 0 && manifest_is_blank(s[n - 1])) {
            n--;
        }
        if (n == 0 || s[0] == '#') {
            continue;
        }
        int rc = manifest_parse_line(b, s, n, line, err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int manifest_parse(const char *text, size_t len, struct manifest *out, struct sw_err *err)
{
    struct manifest_builder b = {0};
    *out = (struct manifest){0};
    int rc = manifest_parse_lines(&b, text, len, err);
    if (rc != 0) {
        goto out;
    }
    if (b.n_items > 0) {
        qsort(b.items, b.n_items, sizeof *b.items, manifest_cmp_parsed);
    }
    for (size_t i = 1; i < b.n_items; i++) {
        if (strcmp(b.items[i - 1].entry.name, b.items[i].entry.name) == 0) {
            rc = sw_err_set(err, SW_EINVAL, MANIFEST_FILE_NAME ":%d: duplicate entry for %s",
                            b.items[i].line, b.items[i].entry.name);
            goto out;
        }
    }
    out->entries = calloc(b.n_items + 1, sizeof *out->entries);
    if (out->entries == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < b.n_items; i++) {
        out->entries[i] = b.items[i].entry;
        b.items[i].entry.name = NULL;
    }
    out->n_entries = b.n_items;
out:
    for (size_t i = 0; i < b.n_items; i++) {
        free(b.items[i].entry.name);
    }
    free(b.items);
    return rc;
}

void manifest_cleanup(struct manifest *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->n_entries; i++) {
        free(m->entries[i].name);
    }
    free(m->entries);
    m->entries = NULL;
    m->n_entries = 0;
}

static int manifest_cmp_key(const void *key, const void *elem)
{
    const struct manifest_entry *e = elem;
    return strcmp(key, e->name);
}

const struct manifest_entry *manifest_find(const struct manifest *m, const char *name)
{
    if (m->n_entries == 0) {
        return NULL;
    }
    return bsearch(name, m->entries, m->n_entries, sizeof *m->entries, manifest_cmp_key);
}

static int manifest_cmp_file(const void *a, const void *b)
{
    const struct migset_file *x = *(const struct migset_file *const *)a;
    const struct migset_file *y = *(const struct migset_file *const *)b;
    return strcmp(x->name, y->name);
}

/* Appends the portable file, then the variants by name, for one direction of a step. */
static int manifest_render_dir(struct sw_strbuf *sb, const struct migset_file *portable,
                               struct migset_file *const variants[MIGSET_ENGINE_COUNT],
                               struct sw_err *err)
{
    const struct migset_file *files[MIGSET_ENGINE_COUNT + 1];
    size_t n = 0;
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        if (variants[e] != NULL) {
            files[n++] = variants[e];
        }
    }
    qsort(files, n, sizeof files[0], manifest_cmp_file);
    if (portable != NULL) {
        int rc = sw_strbuf_printf(sb, err, "%s  %s\n", portable->checksum, portable->name);
        if (rc != 0) {
            return rc;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int rc = sw_strbuf_printf(sb, err, "%s  %s\n", files[i]->checksum, files[i]->name);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int manifest_render(const struct migset *set, char **out, struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, MANIFEST_MAX_BYTES);
    int rc = sw_strbuf_puts(&sb, MANIFEST_HEADER, err);
    for (size_t i = 0; rc == 0 && i < migset_count(set); i++) {
        const struct migset_step *st = migset_step_at(set, i);
        rc = manifest_render_dir(&sb, st->up_portable, st->up_variant, err);
        if (rc == 0) {
            rc = manifest_render_dir(&sb, st->down_portable, st->down_variant, err);
        }
    }
    if (rc != 0) {
        sw_err_prefix(err, MANIFEST_FILE_NAME);
        sw_strbuf_cleanup(&sb);
        return rc;
    }
    *out = sw_strbuf_take(&sb);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

int manifest_write_for_dir(const char *dir, struct sw_err *err)
{
    struct migset_load_opts opts = {.skip_manifest = true};
    struct migset *set = NULL;
    char *text = NULL;
    char *path = NULL;
    int rc = migset_load(dir, &opts, &set, err);
    if (rc != 0) {
        goto out;
    }
    rc = manifest_render(set, &text, err);
    if (rc != 0) {
        goto out;
    }
    path = sw_path_join(dir, MANIFEST_FILE_NAME);
    if (path == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    rc = sw_file_write_atomic(path, text, strlen(text), err);
out:
    free(path);
    free(text);
    migset_free(set);
    return rc;
}
