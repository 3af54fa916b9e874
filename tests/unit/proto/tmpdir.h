/* Temporary migration directories for proto unit tests (setup only; no assertions). */
#ifndef SW_TESTS_UNIT_PROTO_TMPDIR_H
#define SW_TESTS_UNIT_PROTO_TMPDIR_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A new empty directory under $TMPDIR (or /tmp); the caller frees the path. */
static inline char *tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/sw-unit-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return strdup(tmpl);
}

static inline char *tmpdir_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p == NULL) {
        abort();
    }
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Writes (replaces) dir/name with content[0..len). */
static inline void tmpdir_write_n(const char *dir, const char *name, const char *content,
                                  size_t len)
{
    char *path = tmpdir_path(dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(content, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        abort();
    }
    free(path);
}

static inline void tmpdir_write(const char *dir, const char *name, const char *content)
{
    tmpdir_write_n(dir, name, content, strlen(content));
}

static inline void tmpdir_mkdir(const char *dir, const char *name)
{
    char *path = tmpdir_path(dir, name);
    if (mkdir(path, 0755) != 0) {
        perror(path);
        abort();
    }
    free(path);
}

static inline void tmpdir_unlink(const char *dir, const char *name)
{
    char *path = tmpdir_path(dir, name);
    if (unlink(path) != 0) {
        perror(path);
        abort();
    }
    free(path);
}

/* Removes dir and everything in it, then frees the path string. */
static inline void tmpdir_remove(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        char *path = tmpdir_path(dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            tmpdir_remove(path); /* frees path */
        } else {
            unlink(path);
            free(path);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

#endif
