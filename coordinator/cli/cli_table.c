/* Aligned text tables (see cli_table.h). */
#include "cli_table.h"

#include <stdlib.h>
#include <string.h>

/* Appends a row; NULL or empty cells become `empty`. */
static int cli_table_row(struct cli_table *t, const char *const *cells, const char *empty,
                         struct sw_err *err);

int cli_table_init(struct cli_table *t, size_t n_cols, const char *const *header,
                   struct sw_err *err)
{
    memset(t, 0, sizeof *t);
    t->indent = "";
    if (n_cols == 0 || n_cols > CLI_TABLE_MAX_COLS) {
        return sw_err_set(err, SW_EINTERNAL, "table with %zu columns", n_cols);
    }
    t->n_cols = n_cols;
    return cli_table_row(t, header, "", err);
}

static int cli_table_grow(struct cli_table *t, struct sw_err *err)
{
    if (t->n_rows < t->cap_rows) {
        return 0;
    }
    size_t cap = t->cap_rows == 0 ? 16 : t->cap_rows * 2;
    char **cells = realloc(t->cells, cap * t->n_cols * sizeof *cells);
    if (cells == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    t->cells = cells;
    t->cap_rows = cap;
    return 0;
}

int cli_table_add(struct cli_table *t, const char *const *cells, struct sw_err *err)
{
    return cli_table_row(t, cells, "-", err);
}

static int cli_table_row(struct cli_table *t, const char *const *cells, const char *empty,
                         struct sw_err *err)
{
    int rc = cli_table_grow(t, err);
    if (rc != 0) {
        return rc;
    }
    char **row = &t->cells[t->n_rows * t->n_cols];
    for (size_t c = 0; c < t->n_cols; c++) {
        const char *text = cells[c] != NULL && cells[c][0] != '\0' ? cells[c] : empty;
        row[c] = strdup(text);
        if (row[c] == NULL) {
            for (size_t k = 0; k < c; k++) {
                free(row[k]);
            }
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        size_t w = strlen(text);
        if (w > CLI_TABLE_CELL_WIDTH) {
            w = CLI_TABLE_CELL_WIDTH;
        }
        if (w > t->width[c]) {
            t->width[c] = w;
        }
    }
    t->n_rows++;
    return 0;
}

static void cli_table_cell(const struct cli_table *t, size_t c, const char *text, FILE *f)
{
    size_t len = strlen(text);
    if (c + 1 == t->n_cols) {
        fputs(text, f);
        return;
    }
    if (len > CLI_TABLE_CELL_WIDTH) {
        fprintf(f, "%.*s...  ", (int)(CLI_TABLE_CELL_WIDTH - 3), text);
        return;
    }
    fprintf(f, "%-*s  ", (int)t->width[c], text);
}

void cli_table_print(const struct cli_table *t, FILE *f)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        fputs(t->indent, f);
        for (size_t c = 0; c < t->n_cols; c++) {
            cli_table_cell(t, c, t->cells[r * t->n_cols + c], f);
        }
        fputc('\n', f);
    }
}

void cli_table_cleanup(struct cli_table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    memset(t, 0, sizeof *t);
}
