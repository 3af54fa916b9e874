/* File helpers: bounded whole-file reads and atomic replacement (temp, fsync, rename). */
#ifndef SW_PROTO_FSUTIL_H
#define SW_PROTO_FSUTIL_H

#include <stddef.h>

#include "sw/err.h"

/* Reads all of `path` (at most max_bytes) into a NUL-terminated heap buffer the
 * caller frees. SW_ENOTFOUND when missing, SW_ETOOBIG over the limit, SW_EIO otherwise. */
int sw_file_read(const char *path, size_t max_bytes, char **out, size_t *out_len,
                 struct sw_err *err);
/* Replaces `path` atomically with data (mode 0644): write temp in the same dir, fsync, rename,
 * fsync the directory. On failure the old file is intact. */
int sw_file_write_atomic(const char *path, const void *data, size_t len, struct sw_err *err);
/* Writes a new file, failing with SW_ECONFLICT if it exists (O_EXCL). */
int sw_file_create_excl(const char *path, const void *data, size_t len, struct sw_err *err);
/* Joins dir and name with one '/', into a heap string; NULL on ENOMEM. */
char *sw_path_join(const char *dir, const char *name);

#endif
