/*
 * Aligned text tables for the remote commands' human output: rows of cells are
 * collected, then printed with each column as wide as its widest cell (the last
 * column is not padded). Cells are copied; bounded by CLI_TABLE_MAX_COLS and the
 * cell width cap (longer cells are cut with "...", never wrapped).
 */
#ifndef SW_CLI_CLI_TABLE_H
#define SW_CLI_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "sw/err.h"

#define CLI_TABLE_MAX_COLS   16
#define CLI_TABLE_CELL_WIDTH 120 /* display cap per cell except the last column */

struct cli_table {
    size_t n_cols;
    size_t n_rows;
    size_t cap_rows;
    char **cells; /* n_rows * n_cols heap strings, row-major */
    size_t width[CLI_TABLE_MAX_COLS];
    const char *indent; /* printed before each row; "" by default */
};

/* Starts a table with n_cols columns (<= CLI_TABLE_MAX_COLS) and a header row (NULL or
 * empty header cells stay blank). */
int cli_table_init(struct cli_table *t, size_t n_cols, const char *const *header,
                   struct sw_err *err);
/* Appends a row of n_cols cells; NULL and empty cells print as "-". */
int cli_table_add(struct cli_table *t, const char *const *cells, struct sw_err *err);
/* Prints every row, header first. */
void cli_table_print(const struct cli_table *t, FILE *f);
/* Frees the cells; safe on a zeroed struct. */
void cli_table_cleanup(struct cli_table *t);

#endif
