/*
 * Loads a migration set from a directory or from memory: parses file names, reads
 * and checksums each file, groups files into versioned steps and compares them with
 * shardwave.sum. Both sources share every check; only listing entries and getting
 * their bytes differ. Every problem names the file and, where we can, shows a
 * corrected name.
 */
#include "sw/migset.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sw/fsutil.h"
#include "sw/manifest.h"
#include "migset_name.h"

struct migset {
    char *dir;
    struct migset_file *files; /* in file name order */
    size_t n_files;
    struct migset_step *steps; /* in version order */
    size_t n_steps;
    char digest[CHECKSUM_HEX_LEN + 1];
    bool has_manifest;
};

struct migset_loader {
    const char *dir;
    const struct migset_load_opts *opts;
    struct sw_err *err;
    int first_rc;
    struct migset *set;
    char **names; /* directory entries (no hidden files), sorted */
    size_t n_names;
    const struct migset_mem_file *mem; /* in-memory source: files parallel to names; else NULL */
    const struct migset_mem_file *mem_sum; /* in-memory shardwave.sum */
    struct migset_name *parsed;            /* parallel to set->files */
    bool has_sum_file;
};

static const char *const migset_engine_names[MIGSET_ENGINE_COUNT] = {"pg", "mysql", "sqlite"};

const char *migset_engine_name(enum migset_engine e)
{
    switch (e) {
    case MIGSET_ENGINE_PG:
    case MIGSET_ENGINE_MYSQL:
    case MIGSET_ENGINE_SQLITE:
        return migset_engine_names[e];
    case MIGSET_ENGINE_COUNT:
        break;
    }
    return "unknown";
}

int migset_engine_parse(const char *name, size_t len, enum migset_engine *out)
{
    for (int i = 0; i < MIGSET_ENGINE_COUNT; i++) {
        if (strlen(migset_engine_names[i]) == len &&
            memcmp(name, migset_engine_names[i], len) == 0) {
            *out = (enum migset_engine)i;
            return 0;
        }
    }
    return -1;
}

/* Records a problem; returns its code when loading must stop (no on_problem callback). */
static int migset_problem(struct migset_loader *ld, const struct sw_err *p)
{
    if (ld->first_rc == 0) {
        ld->first_rc = p->code;
        if (ld->err != NULL) {
            sw_err_copy(ld->err, p);
        }
    }
    if (ld->opts->on_problem == NULL) {
        return p->code;
    }
    ld->opts->on_problem(ld->opts->ctx, p);
    return 0;
}

/* ---- reading the directory ---- */

static int migset_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int migset_list_dir(struct migset_loader *ld)
{
    int rc = 0;
    size_t cap = 0;
    DIR *d = opendir(ld->dir);
    if (d == NULL) {
        int code = (errno == ENOENT) ? SW_ENOTFOUND : (errno == ENOTDIR ? SW_EINVAL : SW_EIO);
        rc = sw_err_set(ld->err, code, "%s: cannot open migration directory: %s", ld->dir,
                        strerror(errno));
        return rc;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue; /* ".", "..", editor and VCS files */
        }
        if (ld->n_names == MIGSET_MAX_FILES) {
            rc = sw_err_set(ld->err, SW_ETOOBIG, "%s: more than %u files", ld->dir,
                            MIGSET_MAX_FILES);
            goto out;
        }
        if (ld->n_names == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(ld->names, cap * sizeof *grown);
            if (grown == NULL) {
                rc = sw_err_set(ld->err, SW_ENOMEM, "%s: out of memory", ld->dir);
                goto out;
            }
            ld->names = grown;
        }
        ld->names[ld->n_names] = strdup(de->d_name);
        if (ld->names[ld->n_names] == NULL) {
            rc = sw_err_set(ld->err, SW_ENOMEM, "%s: out of memory", ld->dir);
            goto out;
        }
        ld->n_names++;
    }
    if (ld->n_names > 0) {
        qsort(ld->names, ld->n_names, sizeof *ld->names, migset_cmp_str);
    }
out:
    closedir(d);
    return rc;
}

/* Removes each '\r' directly before a '\n' in place; returns the new length. */
static size_t migset_fold_crlf(char *s, size_t len)
{
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        if (s[r] == '\r' && r + 1 < len && s[r + 1] == '\n') {
            continue;
        }
        s[w++] = s[r];
    }
    s[w] = '\0';
    return w;
}

/* Gets one migration file's bytes into f->sql: read from `path`, or copied from
 * `mem` (in-memory source). Problems go to perr. */
static int migset_file_bytes(const char *path, const struct migset_mem_file *mem, const char *name,
                             unsigned long long size, struct migset_file *f, struct sw_err *perr)
{
    if (size > MIGSET_MAX_FILE_BYTES) {
        int rc = sw_err_set(perr, SW_ETOOBIG, "%s: file is %llu bytes, the limit is %u bytes", name,
                            size, MIGSET_MAX_FILE_BYTES);
        sw_err_hint(perr, "split it into several migrations");
        return rc;
    }
    if (mem == NULL) {
        return sw_file_read(path, MIGSET_MAX_FILE_BYTES, &f->sql, &f->sql_len, perr);
    }
    f->sql = malloc(mem->len + 1);
    if (f->sql == NULL) {
        return sw_err_set(perr, SW_ENOMEM, "%s: out of memory", name);
    }
    if (mem->len > 0) {
        memcpy(f->sql, mem->content, mem->len);
    }
    f->sql[mem->len] = '\0';
    f->sql_len = mem->len;
    return 0;
}

/* Reads, checksums and scans one migration file into f. Problems go to perr. */
static int migset_read_file(const char *path, const struct migset_mem_file *mem, const char *name,
                            unsigned long long size, struct migset_file *f, struct sw_err *perr)
{
    int rc = migset_file_bytes(path, mem, name, size, f, perr);
    if (rc != 0) {
        return rc;
    }
    rc = checksum_sha256_hex(f->sql, f->sql_len, f->checksum, perr);
    if (rc != 0) {
        return rc;
    }
    f->sql_len = migset_fold_crlf(f->sql, f->sql_len);
    return directive_parse_named(name, f->sql, f->sql_len, &f->directives, perr);
}

/* Parses, reads and records one migration file (files[] has room: one slot per entry). */
static int migset_add_file(struct migset_loader *ld, const char *path,
                           const struct migset_mem_file *mem, const char *name,
                           unsigned long long size)
{
    struct sw_err perr = {0};
    struct migset *set = ld->set;
    struct migset_name *pn = &ld->parsed[set->n_files];
    struct migset_file *f = &set->files[set->n_files];
    if (migset_name_parse(name, pn, &perr) != 0 ||
        migset_read_file(path, mem, name, size, f, &perr) != 0 ||
        (f->name = strdup(name)) == NULL) {
        if (perr.code == 0) {
            sw_err_set(&perr, SW_ENOMEM, "%s: out of memory", name);
        }
        free(f->sql);
        *f = (struct migset_file){0};
        int rc = migset_problem(ld, &perr);
        return perr.code == SW_ENOMEM ? perr.code : rc; /* out of memory always stops */
    }
    f->dir = pn->dir;
    f->is_variant = pn->is_variant;
    f->engine = pn->engine;
    set->n_files++;
    return 0;
}

/* Handles one directory entry: ignored, the manifest, or a migration file. */
static int migset_take_entry(struct migset_loader *ld, const char *name)
{
    struct sw_err perr = {0};
    int rc = 0;
    char *path = sw_path_join(ld->dir, name);
    if (path == NULL) {
        return sw_err_set(ld->err, SW_ENOMEM, "%s: out of memory", name);
    }
    struct stat st;
    bool is_sql = migset_name_sql_suffix_len(name) > 0;
    if (stat(path, &st) != 0) {
        sw_err_set(&perr, SW_EIO, "%s: cannot stat: %s", name, strerror(errno));
        rc = migset_problem(ld, &perr);
    } else if (S_ISDIR(st.st_mode)) {
        rc = 0; /* subdirectories are not part of the set */
    } else if (strcmp(name, MANIFEST_FILE_NAME) == 0) {
        ld->has_sum_file = true;
    } else if (is_sql && !S_ISREG(st.st_mode)) {
        sw_err_set(&perr, SW_EINVAL, "%s: not a regular file", name);
        rc = migset_problem(ld, &perr);
    } else if (is_sql) {
        rc = migset_add_file(ld, path, NULL, name, (unsigned long long)st.st_size);
    }
    free(path);
    return rc;
}

/* In-memory source: names[] are copies of the files' names, sorted; mem[] is the
 * files in the same order. Duplicates and non-plain names are problems. */
static int migset_mem_check_name(struct migset_loader *ld, size_t idx)
{
    struct sw_err perr = {0};
    const char *name = ld->names[idx];
    if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL) {
        sw_err_set(&perr, SW_EINVAL, "%s: not a plain file name", name);
    } else if (idx > 0 && strcmp(ld->names[idx - 1], name) == 0) {
        sw_err_set(&perr, SW_EINVAL, "%s: listed twice", name);
    } else {
        return 0;
    }
    return migset_problem(ld, &perr) != 0 ? perr.code : 1; /* 1: skip the entry */
}

/* Handles one in-memory file: the manifest, a migration file, or ignored. */
static int migset_take_mem_entry(struct migset_loader *ld, size_t idx)
{
    int rc = migset_mem_check_name(ld, idx);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    const char *name = ld->names[idx];
    if (strcmp(name, MANIFEST_FILE_NAME) == 0) {
        ld->has_sum_file = true;
        ld->mem_sum = &ld->mem[idx];
        return 0;
    }
    if (migset_name_sql_suffix_len(name) == 0) {
        return 0;
    }
    return migset_add_file(ld, NULL, &ld->mem[idx], name, (unsigned long long)ld->mem[idx].len);
}

/* ---- grouping files into steps ---- */

struct migset_sort_ctx_item {
    const struct migset_name *pn;
    struct migset_file *file;
};

static int migset_cmp_item(const void *a, const void *b)
{
    const struct migset_sort_ctx_item *x = a;
    const struct migset_sort_ctx_item *y = b;
    int c = version_cmp(&x->pn->version, &y->pn->version);
    return c != 0 ? c : strcmp(x->file->name, y->file->name);
}

static struct migset_file **migset_slot(struct migset_step *st, const struct migset_file *f)
{
    if (f->dir == MIGSET_UP) {
        return f->is_variant ? &st->up_variant[f->engine] : &st->up_portable;
    }
    return f->is_variant ? &st->down_variant[f->engine] : &st->down_portable;
}

static int migset_dup(struct migset_loader *ld, const struct migset_file *a,
                      const struct migset_file *b, const char *vtext)
{
    struct sw_err perr = {0};
    if (strcmp(a->name, b->name) > 0) {
        const struct migset_file *t = a;
        a = b;
        b = t;
    }
    sw_err_set(&perr, SW_EINVAL, "%s and %s: duplicate version %s", a->name, b->name, vtext);
    sw_err_hint(&perr, "every migration needs its own version: renumber one of them "
                       "(`shardwave new` picks the next free version)");
    return migset_problem(ld, &perr);
}

/* f belongs to ref's version but spells its description or version differently. */
static int migset_mismatch(struct migset_loader *ld, const struct migset_sort_ctx_item *ref,
                           const struct migset_sort_ctx_item *f)
{
    struct sw_err perr = {0};
    const char *what = strcmp(ref->pn->desc, f->pn->desc) != 0 ? "description" : "version";
    const char *rv = strcmp(what, "version") == 0 ? ref->pn->vtext : ref->pn->desc;
    const char *fv = strcmp(what, "version") == 0 ? f->pn->vtext : f->pn->desc;
    sw_err_set(&perr, SW_EINVAL,
               "%s and %s: %s '%s' differs from '%s' (the V, U and variant files of a version "
               "share its version and description)",
               ref->file->name, f->file->name, what, fv, rv);
    sw_err_hint(&perr, "rename it to %c%s__%s%s%s.sql", f->pn->dir == MIGSET_UP ? 'V' : 'U',
                ref->pn->vtext, ref->pn->desc, f->pn->is_variant ? "." : "",
                f->pn->is_variant ? migset_engine_name(f->pn->engine) : "");
    return migset_problem(ld, &perr);
}

static int migset_orphan_downs(struct migset_loader *ld, const struct migset_sort_ctx_item *g,
                               size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sw_err perr = {0};
        sw_err_set(&perr, SW_EINVAL, "%s: down migration without an up migration V%s__*.sql",
                   g[i].file->name, g[i].pn->vtext);
        sw_err_hint(&perr, "add V%s__%s.sql, or remove %s", g[i].pn->vtext, g[i].pn->desc,
                    g[i].file->name);
        int rc = migset_problem(ld, &perr);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* The file a version's other files must agree with: the portable up file, else any up file. */
static const struct migset_sort_ctx_item *migset_group_ref(const struct migset_sort_ctx_item *g,
                                                           size_t n)
{
    const struct migset_sort_ctx_item *any_up = NULL;
    for (size_t i = 0; i < n; i++) {
        if (g[i].file->dir == MIGSET_UP && !g[i].file->is_variant) {
            return &g[i];
        }
        if (g[i].file->dir == MIGSET_UP && any_up == NULL) {
            any_up = &g[i];
        }
    }
    return any_up;
}

static char *migset_display_desc(const char *desc)
{
    char *d = strdup(desc);
    for (char *p = d; p != NULL && *p != '\0'; p++) {
        if (*p == '_') {
            *p = ' ';
        }
    }
    return d;
}

/* Puts the files of direction `dir` into st's slots, reporting duplicates and mismatches. */
static int migset_fill_step(struct migset_loader *ld, struct migset_step *st,
                            const struct migset_sort_ctx_item *ref,
                            const struct migset_sort_ctx_item *g, size_t n, enum migset_dir dir)
{
    for (size_t i = 0; i < n; i++) {
        const struct migset_sort_ctx_item *f = &g[i];
        if (f == ref || f->file->dir != dir) {
            continue;
        }
        struct migset_file **slot = migset_slot(st, f->file);
        int rc = 0;
        if (*slot != NULL) {
            rc = migset_dup(ld, *slot, f->file, st->version_text);
        } else if (strcmp(f->pn->desc, ref->pn->desc) != 0 ||
                   strcmp(f->pn->vtext, ref->pn->vtext) != 0) {
            rc = (f->file->dir == ref->file->dir)
                     ? migset_dup(ld, ref->file, f->file, st->version_text)
                     : migset_mismatch(ld, ref, f);
        } else {
            *slot = f->file;
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Turns one version's files g[0..n) into a step (when it has an up file). */
static int migset_build_step(struct migset_loader *ld, const struct migset_sort_ctx_item *g,
                             size_t n)
{
    const struct migset_sort_ctx_item *ref = migset_group_ref(g, n);
    if (ref == NULL) {
        return migset_orphan_downs(ld, g, n);
    }
    struct migset_step *st = &ld->set->steps[ld->set->n_steps];
    *st = (struct migset_step){0};
    st->version = ref->pn->version;
    version_format(&st->version, st->version_text, sizeof st->version_text);
    st->description = migset_display_desc(ref->pn->desc);
    if (st->description == NULL) {
        return sw_err_set(ld->err, SW_ENOMEM, "out of memory");
    }
    ld->set->n_steps++;
    *migset_slot(st, ref->file) = ref->file;
    /* Up files first: two differing up files are a duplicate, the more important news. */
    int rc = migset_fill_step(ld, st, ref, g, n, MIGSET_UP);
    return rc != 0 ? rc : migset_fill_step(ld, st, ref, g, n, MIGSET_DOWN);
}

static int migset_build_steps(struct migset_loader *ld)
{
    struct migset *set = ld->set;
    int rc = 0;
    struct migset_sort_ctx_item *items = calloc(set->n_files + 1, sizeof *items);
    set->steps = calloc(set->n_files + 1, sizeof *set->steps);
    if (items == NULL || set->steps == NULL) {
        rc = sw_err_set(ld->err, SW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < set->n_files; i++) {
        items[i] = (struct migset_sort_ctx_item){.pn = &ld->parsed[i], .file = &set->files[i]};
    }
    if (set->n_files > 0) {
        qsort(items, set->n_files, sizeof *items, migset_cmp_item);
    }
    size_t start = 0;
    while (start < set->n_files) {
        size_t end = start + 1;
        while (end < set->n_files &&
               version_cmp(&items[start].pn->version, &items[end].pn->version) == 0) {
            end++;
        }
        rc = migset_build_step(ld, items + start, end - start);
        if (rc != 0) {
            goto out;
        }
        start = end;
    }
out:
    free(items);
    return rc;
}

/* ---- shardwave.sum ---- */

static bool migset_has_name(const struct migset_loader *ld, const char *name)
{
    return bsearch(&name, ld->names, ld->n_names, sizeof *ld->names, migset_cmp_str) != NULL;
}

static int migset_check_files(struct migset_loader *ld, const struct manifest *m)
{
    for (size_t i = 0; i < ld->set->n_files; i++) {
        const struct migset_file *f = &ld->set->files[i];
        const struct manifest_entry *e = manifest_find(m, f->name);
        struct sw_err perr = {0};
        if (e == NULL) {
            sw_err_set(&perr, SW_EINVAL, "%s: not listed in " MANIFEST_FILE_NAME, f->name);
            sw_err_hint(&perr,
                        "`shardwave new` writes it; after adding a file by hand run "
                        "`shardwave sum %s`",
                        ld->dir);
        } else if (strcmp(e->checksum, f->checksum) != 0) {
            sw_err_set(&perr, SW_ECHECKSUM,
                       "%s: differs from " MANIFEST_FILE_NAME
                       ": never modify a committed migration",
                       f->name);
            sw_err_hint(&perr,
                        "create a new migration instead; if this file was never applied "
                        "anywhere, run `shardwave sum %s`",
                        ld->dir);
        } else {
            continue;
        }
        int rc = migset_problem(ld, &perr);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int migset_check_entries(struct migset_loader *ld, const struct manifest *m)
{
    for (size_t i = 0; i < m->n_entries; i++) {
        if (migset_has_name(ld, m->entries[i].name)) {
            continue;
        }
        struct sw_err perr = {0};
        sw_err_set(&perr, SW_EINVAL, "%s: listed in " MANIFEST_FILE_NAME " but the file is missing",
                   m->entries[i].name);
        sw_err_hint(&perr,
                    "restore it from version control; if it was removed on purpose (never "
                    "applied anywhere), run `shardwave sum %s`",
                    ld->dir);
        int rc = migset_problem(ld, &perr);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* A NUL-terminated copy of an in-memory shardwave.sum. */
static int migset_mem_sum_text(const struct migset_mem_file *sum, char **text, size_t *len,
                               struct sw_err *perr)
{
    if (sum->len > MANIFEST_MAX_BYTES) {
        return sw_err_set(perr, SW_ETOOBIG, MANIFEST_FILE_NAME ": %zu bytes, the limit is %u bytes",
                          sum->len, MANIFEST_MAX_BYTES);
    }
    *text = malloc(sum->len + 1);
    if (*text == NULL) {
        return sw_err_set(perr, SW_ENOMEM, MANIFEST_FILE_NAME ": out of memory");
    }
    if (sum->len > 0) {
        memcpy(*text, sum->content, sum->len);
    }
    (*text)[sum->len] = '\0';
    *len = sum->len;
    return 0;
}

static int migset_check_manifest(struct migset_loader *ld)
{
    struct manifest m = {0};
    struct sw_err perr = {0};
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    char *path = sw_path_join(ld->dir, MANIFEST_FILE_NAME);
    if (path == NULL) {
        return sw_err_set(ld->err, SW_ENOMEM, "out of memory");
    }
    if (ld->mem_sum != NULL) {
        rc = migset_mem_sum_text(ld->mem_sum, &text, &len, &perr);
    } else {
        rc = sw_file_read(path, MANIFEST_MAX_BYTES, &text, &len, &perr);
    }
    if (rc != 0 || manifest_parse(text, len, &m, &perr) != 0) {
        rc = migset_problem(ld, &perr);
        goto out;
    }
    ld->set->has_manifest = true;
    rc = migset_check_files(ld, &m);
    if (rc == 0) {
        rc = migset_check_entries(ld, &m);
    }
out:
    manifest_cleanup(&m);
    free(text);
    free(path);
    return rc;
}

/* ---- load and accessors ---- */

static int migset_compute_digest(struct migset *set, struct sw_err *err)
{
    char *text = NULL;
    int rc = manifest_render(set, &text, err);
    if (rc == 0) {
        rc = checksum_sha256_hex_raw(text, strlen(text), set->digest, err);
    }
    free(text);
    return rc;
}

static int migset_load_all(struct migset_loader *ld)
{
    int rc = 0;
    ld->set->files = calloc(ld->n_names + 1, sizeof *ld->set->files);
    ld->parsed = calloc(ld->n_names + 1, sizeof *ld->parsed);
    if (ld->set->files == NULL || ld->parsed == NULL) {
        return sw_err_set(ld->err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < ld->n_names && rc == 0; i++) {
        rc = ld->mem != NULL ? migset_take_mem_entry(ld, i) : migset_take_entry(ld, ld->names[i]);
    }
    if (rc == 0) {
        rc = migset_build_steps(ld);
    }
    if (rc == 0 && ld->has_sum_file && !ld->opts->skip_manifest) {
        rc = migset_check_manifest(ld);
    }
    if (rc == 0 && ld->first_rc == 0) {
        rc = migset_compute_digest(ld->set, ld->err);
    }
    return rc != 0 ? rc : ld->first_rc;
}

/* Runs a prepared loader (entries listed) and hands over or frees the set. */
static int migset_finish(struct migset_loader *ld, int rc, struct migset **out)
{
    if (rc == 0) {
        rc = migset_load_all(ld);
    }
    for (size_t i = 0; i < ld->n_names; i++) {
        free(ld->names[i]);
    }
    free(ld->names);
    free(ld->parsed);
    if (rc != 0) {
        migset_free(ld->set);
        return rc;
    }
    *out = ld->set;
    return 0;
}

static int migset_loader_init(struct migset_loader *ld, const char *dir)
{
    ld->set = calloc(1, sizeof *ld->set);
    if (ld->set == NULL || (ld->set->dir = strdup(dir)) == NULL) {
        free(ld->set);
        ld->set = NULL;
        return sw_err_set(ld->err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

int migset_load(const char *dir, const struct migset_load_opts *opts, struct migset **out,
                struct sw_err *err)
{
    static const struct migset_load_opts no_opts = {0};
    struct migset_loader ld = {.dir = dir, .opts = opts ? opts : &no_opts, .err = err};
    *out = NULL;
    int rc = migset_loader_init(&ld, dir);
    if (rc != 0) {
        return rc;
    }
    return migset_finish(&ld, migset_list_dir(&ld), out);
}

static int migset_cmp_mem(const void *a, const void *b)
{
    return strcmp(((const struct migset_mem_file *)a)->name,
                  ((const struct migset_mem_file *)b)->name);
}

/* Sorted shallow copy of the files (mem) and copies of their names (names). */
static int migset_list_mem(struct migset_loader *ld, const struct migset_mem_file *files, size_t n,
                           struct migset_mem_file **sorted)
{
    if (n > MIGSET_MAX_FILES) {
        return sw_err_set(ld->err, SW_ETOOBIG, "%s: more than %u files", ld->dir, MIGSET_MAX_FILES);
    }
    *sorted = calloc(n + 1, sizeof **sorted);
    ld->names = calloc(n + 1, sizeof *ld->names);
    if (*sorted == NULL || ld->names == NULL) {
        return sw_err_set(ld->err, SW_ENOMEM, "%s: out of memory", ld->dir);
    }
    if (n > 0) {
        memcpy(*sorted, files, n * sizeof *files);
        qsort(*sorted, n, sizeof **sorted, migset_cmp_mem);
    }
    ld->mem = *sorted;
    for (; ld->n_names < n; ld->n_names++) {
        ld->names[ld->n_names] = strdup((*sorted)[ld->n_names].name);
        if (ld->names[ld->n_names] == NULL) {
            return sw_err_set(ld->err, SW_ENOMEM, "%s: out of memory", ld->dir);
        }
    }
    return 0;
}

int migset_load_files(const struct migset_mem_file *files, size_t n_files,
                      const struct migset_load_opts *opts, struct migset **out, struct sw_err *err)
{
    static const struct migset_load_opts no_opts = {0};
    struct migset_mem_file *sorted = NULL;
    struct migset_loader ld = {.opts = opts ? opts : &no_opts, .err = err};
    ld.dir = ld.opts->origin != NULL ? ld.opts->origin : "(memory)";
    *out = NULL;
    for (size_t i = 0; i < n_files; i++) {
        if (files[i].name == NULL || (files[i].content == NULL && files[i].len > 0)) {
            return sw_err_set(err, SW_EINVAL, "%s: file %zu has no name or content", ld.dir, i);
        }
    }
    int rc = migset_loader_init(&ld, ld.dir);
    if (rc != 0) {
        return rc;
    }
    rc = migset_finish(&ld, migset_list_mem(&ld, files, n_files, &sorted), out);
    free(sorted);
    return rc;
}

void migset_free(struct migset *set)
{
    if (set == NULL) {
        return;
    }
    for (size_t i = 0; i < set->n_files; i++) {
        free(set->files[i].name);
        free(set->files[i].sql);
    }
    for (size_t i = 0; i < set->n_steps; i++) {
        free(set->steps[i].description);
    }
    free(set->files);
    free(set->steps);
    free(set->dir);
    free(set);
}

const char *migset_dir_path(const struct migset *set)
{
    return set->dir;
}

size_t migset_count(const struct migset *set)
{
    return set->n_steps;
}

const struct migset_step *migset_step_at(const struct migset *set, size_t idx)
{
    return idx < set->n_steps ? &set->steps[idx] : NULL;
}

const struct migset_step *migset_find(const struct migset *set, const struct version *v)
{
    size_t lo = 0;
    size_t hi = set->n_steps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = version_cmp(&set->steps[mid].version, v);
        if (c == 0) {
            return &set->steps[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

struct version migset_latest(const struct migset *set)
{
    struct version zero = {0};
    return set->n_steps > 0 ? set->steps[set->n_steps - 1].version : zero;
}

const struct migset_file *migset_step_file(const struct migset_step *step, enum migset_dir dir,
                                           enum migset_engine engine)
{
    if (engine >= MIGSET_ENGINE_COUNT) {
        return NULL;
    }
    if (dir == MIGSET_UP) {
        return step->up_variant[engine] ? step->up_variant[engine] : step->up_portable;
    }
    return step->down_variant[engine] ? step->down_variant[engine] : step->down_portable;
}

const char *migset_digest(const struct migset *set)
{
    return set->digest;
}

bool migset_has_manifest(const struct migset *set)
{
    return set->has_manifest;
}
