/* Bounded file reads, exclusive creation and atomic replacement. */
#include "sw/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sw_file_read(const char *path, size_t max_bytes, char **out, size_t *out_len,
                 struct sw_err *err)
{
    int rc = 0;
    char *buf = NULL;
    /* O_NONBLOCK: opening a FIFO must not hang; fstat below refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int code = (errno == ENOENT) ? SW_ENOTFOUND : SW_EIO;
        return sw_err_set(err, code, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = sw_err_set(err, SW_EIO, "%s: not a regular file", path);
        goto out;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        rc = sw_err_set(err, SW_ETOOBIG, "%s: file is %lld bytes, the limit is %zu", path,
                        (long long)st.st_size, max_bytes);
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1;
    buf = malloc(cap);
    if (buf == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap) {
            /* The file grew while we read it: refuse rather than truncate. */
            char probe;
            ssize_t extra = read(fd, &probe, 1);
            if (extra == 0) {
                break;
            }
            rc = sw_err_set(err, SW_EIO, "%s: file changed while being read", path);
            goto out;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = sw_err_set(err, SW_EIO, "%s: read failed: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
    if (out_len != NULL) {
        *out_len = len;
    }
out:
    free(buf);
    close(fd);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fsync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        return;
    }
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
}

int sw_file_write_atomic(const char *path, const void *data, size_t len, struct sw_err *err)
{
    int rc = 0;
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (tmp == NULL) {
        return sw_err_set(err, SW_ENOMEM, "%s: out of memory", path);
    }
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = sw_err_set(err, SW_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = sw_err_set(err, SW_EIO, "%s: write failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        rc = sw_err_set(err, SW_EIO, "%s: rename failed: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    fsync_parent_dir(path);
out:
    free(tmp);
    return rc;
}

int sw_file_create_excl(const char *path, const void *data, size_t len, struct sw_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int code = (errno == EEXIST) ? SW_ECONFLICT : SW_EIO;
        return sw_err_set(err, code, "%s: cannot create: %s", path, strerror(errno));
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int rc = sw_err_set(err, SW_EIO, "%s: write failed: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return rc;
    }
    close(fd);
    fsync_parent_dir(path);
    return 0;
}

char *sw_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') {
        dl--;
    }
    size_t nl = strlen(name);
    char *p = malloc(dl + nl + 2);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}
