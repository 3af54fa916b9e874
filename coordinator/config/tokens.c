/*
 * The bearer tokens file. Only SHA-256 digests are kept; lookups hash the presented token
 * and compare it with every entry in constant time, so timing reveals neither which
 * entry matched nor how much of a token was right.
 */
#include "config/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config/fleet_file.h"

#define TOKENS_DIGEST_LEN 32
#define SHA256_PREFIX     "sha256:"

struct tokens_entry {
    char name[FLEET_ID_MAX + 1];
    enum tokens_role role;
    unsigned char digest[TOKENS_DIGEST_LEN];
    int line;
};

struct tokens {
    size_t n_entries;
    struct tokens_entry *entries;
};

static const char *const role_names[TOKENS_ROLE_COUNT] = {"read", "operator", "agent"};

const char *tokens_role_name(enum tokens_role r)
{
    return (unsigned)r < TOKENS_ROLE_COUNT ? role_names[r] : "?";
}

int tokens_role_parse(const char *s, enum tokens_role *out)
{
    for (int i = 0; i < TOKENS_ROLE_COUNT; i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum tokens_role)i;
            return 0;
        }
    }
    return SW_EINVAL;
}

bool tokens_role_allows(enum tokens_role have, enum tokens_role need)
{
    switch (need) {
    case TOKENS_ROLE_READ:
        return have == TOKENS_ROLE_READ || have == TOKENS_ROLE_OPERATOR;
    case TOKENS_ROLE_OPERATOR:
        return have == TOKENS_ROLE_OPERATOR;
    case TOKENS_ROLE_AGENT:
        return have == TOKENS_ROLE_AGENT;
    case TOKENS_ROLE_COUNT:
        break;
    }
    return false;
}

static int sha256(const void *data, size_t len, unsigned char out[TOKENS_DIGEST_LEN],
                  struct sw_err *err)
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != TOKENS_DIGEST_LEN) {
        return sw_err_set(err, SW_EINTERNAL, "SHA-256 failed");
    }
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The secret field -> digest: "sha256:<64 hex>" or the token itself. */
static int secret_digest(const char *secret, size_t len, unsigned char out[TOKENS_DIGEST_LEN],
                         struct sw_err *err)
{
    size_t plen = strlen(SHA256_PREFIX);
    if (len < plen || strncmp(secret, SHA256_PREFIX, plen) != 0) {
        if (len < TOKENS_MIN_SECRET_LEN) {
            sw_err_set(err, SW_EINVAL, "token shorter than %d characters", TOKENS_MIN_SECRET_LEN);
            sw_err_hint(err, "generate one with: openssl rand -hex 32");
            return SW_EINVAL;
        }
        return sha256(secret, len, out, err);
    }
    const char *hex = secret + plen;
    if (len - plen != 2 * TOKENS_DIGEST_LEN) {
        return sw_err_set(err, SW_EINVAL, "sha256: needs 64 hex digits");
    }
    for (size_t i = 0; i < TOKENS_DIGEST_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return sw_err_set(err, SW_EINVAL, "sha256: needs 64 hex digits");
        }
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

/* Splits a line into at most 4 white-space separated fields; returns their count. */
static size_t split_fields(char *line, char *fields[4])
{
    size_t n = 0;
    char *p = line;
    while (*p != '\0' && n < 4) {
        while (*p == ' ' || *p == '\t') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        fields[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            p++;
        }
    }
    return n;
}

static int check_unique(const struct tokens *t, const struct tokens_entry *e, struct sw_err *err)
{
    for (size_t i = 0; i < t->n_entries; i++) {
        const struct tokens_entry *o = &t->entries[i];
        if (strcmp(o->name, e->name) == 0) {
            return sw_err_set(err, SW_EINVAL, "duplicate name '%s' (first at line %d)", e->name,
                              o->line);
        }
        if (CRYPTO_memcmp(o->digest, e->digest, TOKENS_DIGEST_LEN) == 0) {
            return sw_err_set(err, SW_EINVAL, "same token as '%s' (line %d)", o->name, o->line);
        }
    }
    return 0;
}

/* Parses one non-comment line into e (messages without location). */
static int parse_line(const struct tokens *t, char *line, struct tokens_entry *e,
                      struct sw_err *err)
{
    char *f[4] = {NULL, NULL, NULL, NULL};
    if (split_fields(line, f) != 3) {
        return sw_err_set(err, SW_EINVAL, "expected '<role> <name> <secret>'");
    }
    if (tokens_role_parse(f[0], &e->role) != 0) {
        /* fields in the wrong order could put a secret first: echo only short words */
        size_t len = strlen(f[0]);
        bool is_word = len <= 12 && strspn(f[0], "abcdefghijklmnopqrstuvwxyz") == len;
        return sw_err_set(err, SW_EINVAL, "unknown role '%s' (expected read, operator or agent)",
                          is_word ? f[0] : "...");
    }
    if (fleet_file_check_id("name", f[1], err) != 0) {
        return SW_EINVAL;
    }
    snprintf(e->name, sizeof e->name, "%s", f[1]);
    if (secret_digest(f[2], strlen(f[2]), e->digest, err) != 0) {
        sw_err_prefix(err, "token '%s'", e->name);
        return SW_EINVAL;
    }
    return check_unique(t, e, err);
}

static int add_line(struct tokens *t, char *line, int line_no, const char *name, struct sw_err *err)
{
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r') {
        line[--len] = '\0';
    }
    const char *p = line;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p == '\0' || *p == '#') {
        return 0;
    }
    if (t->n_entries >= TOKENS_MAX) {
        return sw_err_set(err, SW_ETOOBIG, "%s:%d: more than %d tokens", name, line_no, TOKENS_MAX);
    }
    struct tokens_entry *e = &t->entries[t->n_entries];
    memset(e, 0, sizeof *e);
    e->line = line_no;
    int rc = parse_line(t, line, e, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s:%d", name, line_no);
        return rc;
    }
    t->n_entries++;
    return 0;
}

int tokens_parse(const char *text, const char *name, struct tokens **out, struct sw_err *err)
{
    struct tokens *t = calloc(1, sizeof *t);
    char *copy = strdup(text);
    size_t n_lines = 1;
    for (const char *p = text; *p != '\0'; p++) {
        n_lines += *p == '\n';
    }
    size_t cap = n_lines < TOKENS_MAX ? n_lines : TOKENS_MAX;
    int rc = 0;
    *out = NULL;
    if (t == NULL || copy == NULL || (t->entries = calloc(cap, sizeof *t->entries)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        goto out;
    }
    int line_no = 0;
    char *save = NULL;
    for (char *line = copy; rc == 0 && line != NULL; line = save) {
        save = strchr(line, '\n');
        if (save != NULL) {
            *save++ = '\0';
        }
        rc = add_line(t, line, ++line_no, name, err);
    }
out:
    if (copy != NULL) {
        OPENSSL_cleanse(copy, strlen(text));
    }
    free(copy);
    if (rc != 0) {
        tokens_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Reads an open file of at most TOKENS_FILE_MAX_BYTES into a heap string. */
static int read_all(int fd, const char *path, char **out, struct sw_err *err)
{
    size_t cap = TOKENS_FILE_MAX_BYTES + 1, len = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            free(buf);
            return sw_err_set(err, SW_EIO, "%s: %s", path, strerror(errno));
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        if (len > TOKENS_FILE_MAX_BYTES) {
            free(buf);
            return sw_err_set(err, SW_ETOOBIG, "%s: larger than %u bytes", path,
                              TOKENS_FILE_MAX_BYTES);
        }
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return sw_err_set(err, SW_EINVAL, "%s: contains a NUL byte", path);
    }
    *out = buf;
    return 0;
}

static int check_mode(int fd, const char *path, struct sw_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return sw_err_set(err, SW_EIO, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return sw_err_set(err, SW_EINVAL, "tokens file %s is not a regular file", path);
    }
    if ((st.st_mode & S_IROTH) != 0) {
        sw_err_set(err, SW_EINVAL, "tokens file %s is readable by every user (mode %04o)", path,
                   (unsigned)(st.st_mode & 07777));
        sw_err_hint(err, "chmod 600 %s", path);
        return SW_EINVAL;
    }
    return 0;
}

int tokens_load(const char *path, struct tokens **out, struct sw_err *err)
{
    char *text = NULL;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return sw_err_set(err, errno == ENOENT ? SW_ENOTFOUND : SW_EIO, "tokens file %s: %s", path,
                          strerror(errno));
    }
    int rc = check_mode(fd, path, err);
    rc = rc != 0 ? rc : read_all(fd, path, &text, err);
    close(fd);
    if (rc == 0) {
        rc = tokens_parse(text, path, out, err);
        OPENSSL_cleanse(text, strlen(text));
    }
    free(text);
    return rc;
}

void tokens_free(struct tokens *t)
{
    if (t == NULL) {
        return;
    }
    if (t->entries != NULL) {
        OPENSSL_cleanse(t->entries, t->n_entries * sizeof *t->entries);
    }
    free(t->entries);
    free(t);
}

size_t tokens_count(const struct tokens *t)
{
    return t != NULL ? t->n_entries : 0;
}

int tokens_lookup(const struct tokens *t, const char *token, size_t len,
                  struct tokens_identity *who, struct sw_err *err)
{
    unsigned char digest[TOKENS_DIGEST_LEN];
    if (sha256(token, len, digest, err) != 0) {
        return SW_EINTERNAL;
    }
    const struct tokens_entry *found = NULL;
    for (size_t i = 0; t != NULL && i < t->n_entries; i++) {
        /* no early exit: every entry is compared */
        int differs = CRYPTO_memcmp(digest, t->entries[i].digest, TOKENS_DIGEST_LEN);
        found = differs == 0 ? &t->entries[i] : found;
    }
    if (found == NULL || len == 0) {
        return sw_err_set(err, SW_ENOTFOUND, "unknown token");
    }
    snprintf(who->name, sizeof who->name, "%s", found->name);
    who->role = found->role;
    return 0;
}
