/*
 * Migration sets by digest: the set's summary and its files, stored once and
 * loaded back through migset_load_files (validated again on every load).
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

void store_migset_cleanup(struct store_migset *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; m->owned_ != NULL && i < 2 * m->n_files; i++) {
        free(m->owned_[i]);
    }
    free(m->owned_);
    free(m->files);
    memset(m, 0, sizeof *m);
}

int store_migset_exists(struct store *st, const char *digest, bool *exists, struct sw_err *err)
{
    struct store_q *q = NULL;
    *exists = false;
    int rc = store_stmt(st, &q, err, "SELECT 1 FROM migration_sets WHERE digest = ?", "s", digest);
    if (rc == 0) {
        rc = store_step(st, q, "reading migration sets", err);
    }
    store_stmt_done(st, q);
    if (rc < 0) {
        return rc;
    }
    *exists = rc == 1;
    return 0;
}

static int store_migset_insert(struct store *st, const struct store_migset_info *info,
                               const struct migset_mem_file *files, size_t n_files,
                               struct sw_err *err)
{
    int rc =
        store_run(st, err,
                  "INSERT INTO migration_sets (digest, latest, n_steps, created_ms) "
                  "VALUES (?, ?, ?, ?)",
                  "ssii", info->digest, info->latest, (int64_t)info->n_steps, info->created_ms);
    for (size_t i = 0; rc == 0 && i < n_files; i++) {
        rc = store_run(
            st, err, "INSERT INTO migration_files (digest, name, content) VALUES (?, ?, ?)", "ssz",
            info->digest, files[i].name, (const void *)files[i].content, files[i].len);
    }
    return rc;
}

int store_migset_put(struct store *st, const struct store_migset_info *info,
                     const struct migset_mem_file *files, size_t n_files, bool *created,
                     struct sw_err *err)
{
    bool exists = false;
    int rc = store_begin(st, err);
    if (rc == 0) {
        rc = store_migset_exists(st, info->digest, &exists, err);
    }
    if (rc == 0 && !exists) {
        rc = store_migset_insert(st, info, files, n_files, err);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
        sw_err_prefix(err, "migration set %s", info->digest);
        return rc;
    }
    if (created != NULL) {
        *created = !exists;
    }
    return 0;
}

static int store_migset_read_info(struct store *st, const char *digest,
                                  struct store_migset_info *info, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err,
                        "SELECT latest, n_steps, created_ms FROM migration_sets WHERE digest = ?",
                        "s", digest);
    if (rc == 0) {
        rc = store_step(st, q, "reading migration sets", err);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "migration set %s is not known", digest);
    } else if (rc == 1) {
        snprintf(info->digest, sizeof info->digest, "%s", digest);
        info->n_steps = (size_t)store_col_int(st, q, 1);
        info->created_ms = store_col_int(st, q, 2);
        rc = store_col_copy(st, q, 0, info->latest, sizeof info->latest, err);
    }
    store_stmt_done(st, q);
    return rc;
}

/* Copies the current row's name and content into file slot i of out. */
static int store_migset_file_row(struct store *st, struct store_q *q, struct store_migset *out,
                                 size_t i, struct sw_err *err)
{
    int rc = store_col_dup(st, q, 0, &out->owned_[2 * i], err);
    size_t len = 0;
    const void *blob = store_col_blob(st, q, 1, &len);
    char *content = malloc(len + 1);
    out->owned_[2 * i + 1] = content;
    if (rc != 0 || content == NULL || out->owned_[2 * i] == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    if (len > 0) {
        memcpy(content, blob, len);
    }
    content[len] = '\0';
    out->files[i] = (struct migset_mem_file){out->owned_[2 * i], content, len};
    out->n_files = i + 1;
    return 0;
}

static int store_migset_read_files(struct store *st, const char *digest, struct store_migset *out,
                                   struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    int rc = store_stmt(st, &q, err,
                        "SELECT name, content FROM migration_files WHERE digest = ? ORDER BY name",
                        "s", digest);
    while (rc == 0 && (rc = store_step(st, q, "reading migration files", err)) == 1) {
        rc = 0; /* a row */
        size_t i = out->n_files;
        if (i == cap) {
            cap = cap ? cap * 2 : 16;
            struct migset_mem_file *f = realloc(out->files, cap * sizeof *f);
            char **o = f ? realloc(out->owned_, 2 * cap * sizeof *o) : NULL;
            out->files = f ? f : out->files;
            out->owned_ = o ? o : out->owned_;
            if (o == NULL) {
                rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
                break;
            }
        }
        out->owned_[2 * i] = out->owned_[2 * i + 1] = NULL;
        rc = store_migset_file_row(st, q, out, i, err);
        if (rc != 0) {
            free(out->owned_[2 * i]);
            free(out->owned_[2 * i + 1]);
        }
    }
    store_stmt_done(st, q);
    return rc;
}

int store_migset_get(struct store *st, const char *digest, struct store_migset *out,
                     struct sw_err *err)
{
    *out = (struct store_migset){0};
    int rc = store_begin_read(st, err);
    if (rc == 0) {
        rc = store_migset_read_info(st, digest, &out->info, err);
    }
    if (rc == 0) {
        rc = store_migset_read_files(st, digest, out, err);
    }
    store_rollback(st);
    if (rc != 0) {
        store_migset_cleanup(out);
    }
    return rc;
}

int store_migset_load(struct store *st, const char *digest, struct migset **out, struct sw_err *err)
{
    struct store_migset m = {0};
    char origin[CHECKSUM_HEX_LEN + 32];
    *out = NULL;
    int rc = store_migset_get(st, digest, &m, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(origin, sizeof origin, "migration set %.12s", digest);
    struct migset_load_opts opts = {.origin = origin};
    rc = migset_load_files(m.files, m.n_files, &opts, out, err);
    store_migset_cleanup(&m);
    return rc;
}
