/* Snapshot diff: both texts split into lines, sorted, then merged like `comm -3`. */
#include "snapshot_diff.h"

#include <stdlib.h>
#include <string.h>

/* Lines of one snapshot, pointing into a private copy of its text. */
struct snapshot_lines {
    char *text;
    const char **lines;
    size_t n_lines;
};

static void snapshot_lines_cleanup(struct snapshot_lines *l)
{
    free(l->text);
    free(l->lines);
    memset(l, 0, sizeof *l);
}

static int snapshot_line_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copies text and cuts it at each '\n'; empty lines are dropped. */
static int snapshot_lines_split(const char *text, struct snapshot_lines *out, struct sw_err *err)
{
    size_t len = strlen(text);
    size_t max_lines = 1;
    for (const char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
        max_lines++;
    }
    out->text = malloc(len + 1);
    out->lines = calloc(max_lines, sizeof *out->lines);
    if (out->text == NULL || out->lines == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory comparing schema snapshots");
    }
    memcpy(out->text, text, len + 1);
    char *line = out->text;
    while (line != NULL) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (line[0] != '\0') {
            out->lines[out->n_lines++] = line;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (out->n_lines > 1) {
        qsort(out->lines, out->n_lines, sizeof *out->lines, snapshot_line_cmp);
    }
    return 0;
}

/* Appends a copy of line to (*arr, *n); arr has room for every line of its side. */
static int snapshot_diff_push(char **arr, size_t *n, const char *line, struct sw_err *err)
{
    size_t len = strlen(line);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory comparing schema snapshots");
    }
    memcpy(copy, line, len + 1);
    arr[(*n)++] = copy;
    return 0;
}

/* The merge of two sorted line lists into out's added and removed arrays. */
static int snapshot_diff_merge(const struct snapshot_lines *b, const struct snapshot_lines *a,
                               struct snapshot_diff *out, struct sw_err *err)
{
    size_t i = 0;
    size_t j = 0;
    int rc = 0;
    while (rc == 0 && (i < b->n_lines || j < a->n_lines)) {
        int cmp = i == b->n_lines ? 1 : j == a->n_lines ? -1 : strcmp(b->lines[i], a->lines[j]);
        if (cmp < 0) {
            rc = snapshot_diff_push(out->removed, &out->n_removed, b->lines[i++], err);
        } else if (cmp > 0) {
            rc = snapshot_diff_push(out->added, &out->n_added, a->lines[j++], err);
        } else {
            i++;
            j++;
        }
    }
    return rc;
}

int snapshot_diff_compute(const char *before, const char *after, struct snapshot_diff *out,
                          struct sw_err *err)
{
    struct snapshot_lines b = {0};
    struct snapshot_lines a = {0};
    memset(out, 0, sizeof *out);
    if (before == NULL || after == NULL) {
        return sw_err_set(err, SW_EINTERNAL, "snapshot_diff_compute called with a NULL text");
    }
    int rc = snapshot_lines_split(before, &b, err);
    if (rc != 0 || (rc = snapshot_lines_split(after, &a, err)) != 0) {
        goto out;
    }
    /* One slot more than needed, so calloc never sees 0. */
    out->removed = calloc(b.n_lines + 1, sizeof *out->removed);
    out->added = calloc(a.n_lines + 1, sizeof *out->added);
    if (out->removed == NULL || out->added == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory comparing schema snapshots");
        goto out;
    }
    rc = snapshot_diff_merge(&b, &a, out, err);
out:
    snapshot_lines_cleanup(&b);
    snapshot_lines_cleanup(&a);
    return rc;
}

bool snapshot_diff_is_empty(const struct snapshot_diff *d)
{
    return d->n_added == 0 && d->n_removed == 0;
}

void snapshot_diff_cleanup(struct snapshot_diff *d)
{
    for (size_t i = 0; i < d->n_added; i++) {
        free(d->added[i]);
    }
    for (size_t i = 0; i < d->n_removed; i++) {
        free(d->removed[i]);
    }
    free(d->added);
    free(d->removed);
    memset(d, 0, sizeof *d);
}
