/* Parsing migration file names, and suggesting a valid name when one is wrong. */
#include "migset_name.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sw/strbuf.h"

#define MIGSET_SUGGEST_MAX 512
#define MIGSET_DESC_RULE   "description may contain only letters, digits, '_', ' ' and '-'"

static bool migset_desc_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ' ' || c == '-';
}

size_t migset_name_sql_suffix_len(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcasecmp(name + n - 4, ".sql") == 0) ? 4 : 0;
}

/* Appends the digit groups of v[0..len) joined by '.', or "1" when that is no valid version. */
static void migset_suggest_version(struct sw_strbuf *sb, const char *v, size_t len)
{
    struct sw_strbuf ver;
    sw_strbuf_init(&ver, VERSION_TEXT_MAX);
    size_t groups = 0;
    size_t i = 0;
    while (i < len && groups < VERSION_MAX_PARTS) {
        while (i < len && !(v[i] >= '0' && v[i] <= '9')) {
            i++;
        }
        size_t start = i;
        while (i < len && v[i] >= '0' && v[i] <= '9') {
            i++;
        }
        if (i > start) {
            sw_strbuf_append(&ver, ".", groups > 0 ? 1 : 0, NULL);
            sw_strbuf_append(&ver, v + start, i - start, NULL);
            groups++;
        }
    }
    struct version parsed;
    if (version_parse_str(sw_strbuf_str(&ver), &parsed, NULL) != 0 || version_is_zero(&parsed)) {
        sw_strbuf_puts(sb, "1", NULL);
    } else {
        sw_strbuf_puts(sb, sw_strbuf_str(&ver), NULL);
    }
    sw_strbuf_cleanup(&ver);
}

/* Position of the last '.' in s[0..len), or len. */
static size_t migset_last_dot(const char *s, size_t len)
{
    for (size_t i = len; i > 0; i--) {
        if (s[i - 1] == '.') {
            return i - 1;
        }
    }
    return len;
}

/* Appends a valid description made from d[0..len) and the engine suffix to use, if any.
 * An unknown engine suffix is replaced by force_engine when that is set. */
static void migset_suggest_desc(struct sw_strbuf *sb, const char *d, size_t len,
                                const char *force_engine)
{
    while (len > 0 && strchr("_-. ", d[0]) != NULL) {
        d++;
        len--;
    }
    const char *engine = NULL;
    size_t dot = migset_last_dot(d, len);
    enum migset_engine e;
    if (dot < len && migset_engine_parse(d + dot + 1, len - dot - 1, &e) == 0) {
        engine = migset_engine_name(e);
        len = dot;
    } else if (dot < len && force_engine != NULL) {
        engine = force_engine;
        len = dot;
    }
    size_t n = len < MIGSET_DESCRIPTION_MAX ? len : MIGSET_DESCRIPTION_MAX;
    for (size_t i = 0; i < n; i++) {
        char c = migset_desc_char_ok(d[i]) ? d[i] : '_';
        sw_strbuf_append(sb, &c, 1, NULL);
    }
    if (n == 0) {
        sw_strbuf_puts(sb, "description", NULL);
    }
    if (engine != NULL) {
        sw_strbuf_printf(sb, NULL, ".%s", engine);
    }
}

/* Builds a valid name close to `name` for hints ("rename it, e.g. V3__add.sql"). */
static void migset_suggest(const char *name, const char *force_engine, char *buf, size_t cap)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, MIGSET_SUGGEST_MAX);
    bool is_down = (name[0] == 'U' || name[0] == 'u');
    const char *body = name + ((is_down || name[0] == 'V' || name[0] == 'v') ? 1 : 0);
    size_t len = strlen(body) - migset_name_sql_suffix_len(name);
    const char *sep = strstr(body, "__");
    size_t vlen = 0;
    if (sep != NULL && (size_t)(sep - body) < len) {
        vlen = (size_t)(sep - body);
    } else {
        while (vlen < len && strchr("0123456789._", body[vlen]) != NULL) {
            vlen++;
        }
    }
    sw_strbuf_puts(&sb, is_down ? "U" : "V", NULL);
    migset_suggest_version(&sb, body, vlen);
    sw_strbuf_puts(&sb, "__", NULL);
    migset_suggest_desc(&sb, body + vlen, len - vlen, force_engine);
    sw_strbuf_puts(&sb, ".sql", NULL);
    snprintf(buf, cap, "%s", sw_strbuf_str(&sb));
    sw_strbuf_cleanup(&sb);
}

__attribute__((format(printf, 3, 4))) static int
migset_bad_name(struct sw_err *err, const char *name, const char *fmt, ...)
{
    char what[1024];
    char suggestion[MIGSET_SUGGEST_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    migset_suggest(name, NULL, suggestion, sizeof suggestion);
    int rc = sw_err_set(err, SW_EINVAL, "%s: bad file name: %s", name, what);
    sw_err_hint(err, "rename it, e.g. %s", suggestion);
    return rc;
}

static int migset_parse_name_version(const char *name, const char *v, size_t len,
                                     struct migset_name *out, struct sw_err *err)
{
    struct sw_err verr = {0};
    if (len == 0) {
        return migset_bad_name(err, name, "missing version");
    }
    if (strspn(v, "0123456789._") < len) {
        return migset_bad_name(err, name, "version must be digits separated by '.' or '_'");
    }
    if (len >= VERSION_TEXT_MAX) {
        return migset_bad_name(err, name, "version is longer than %d characters",
                               VERSION_TEXT_MAX - 1);
    }
    if (version_parse(v, len, &out->version, &verr) != 0) {
        return migset_bad_name(err, name, "%s", verr.msg);
    }
    if (version_is_zero(&out->version)) {
        return migset_bad_name(err, name, "version 0 is reserved (it means nothing applied)");
    }
    memcpy(out->vtext, v, len);
    out->vtext[len] = '\0';
    return 0;
}

static int migset_unknown_engine(struct sw_err *err, const char *name, const char *engine,
                                 size_t len)
{
    char as_pg[MIGSET_SUGGEST_MAX];
    char no_dot[MIGSET_SUGGEST_MAX];
    migset_suggest(name, "pg", as_pg, sizeof as_pg);
    migset_suggest(name, NULL, no_dot, sizeof no_dot);
    int rc = sw_err_set(err, SW_EINVAL, "%s: unknown engine '%.*s' (expected pg, mysql or sqlite)",
                        name, (int)len, engine);
    sw_err_hint(err, "name an engine variant like %s; a description cannot contain '.' (%s)", as_pg,
                no_dot);
    return rc;
}

static int migset_check_desc(const char *name, const char *d, size_t len, struct sw_err *err)
{
    if (len == 0) {
        return migset_bad_name(err, name, "description is empty");
    }
    if (memchr(d, '.', len) != NULL) {
        return migset_bad_name(err, name,
                               "description must not contain '.' (it would be read as an engine)");
    }
    if (len > MIGSET_DESCRIPTION_MAX) {
        return migset_bad_name(err, name, "description is %zu characters, the limit is %d", len,
                               MIGSET_DESCRIPTION_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d[i];
        if (migset_desc_char_ok((char)c)) {
            continue;
        }
        if (c >= 0x20 && c < 0x7f) {
            return migset_bad_name(err, name, "%s, not '%c'", MIGSET_DESC_RULE, c);
        }
        return migset_bad_name(err, name, "%s, not byte 0x%02x", MIGSET_DESC_RULE, c);
    }
    return 0;
}

/* rest = "<description>[.<engine>]" (".sql" already removed). */
static int migset_parse_name_rest(const char *name, const char *rest, size_t len,
                                  struct migset_name *out, struct sw_err *err)
{
    size_t dot = migset_last_dot(rest, len);
    if (dot < len && len - dot - 1 > 0 && memchr(rest, '.', dot) == NULL) {
        if (migset_engine_parse(rest + dot + 1, len - dot - 1, &out->engine) != 0) {
            return migset_unknown_engine(err, name, rest + dot + 1, len - dot - 1);
        }
        out->is_variant = true;
        len = dot;
    }
    int rc = migset_check_desc(name, rest, len, err);
    if (rc != 0) {
        return rc;
    }
    memcpy(out->desc, rest, len);
    out->desc[len] = '\0';
    return 0;
}

int migset_name_parse(const char *name, struct migset_name *out, struct sw_err *err)
{
    size_t n = strlen(name);
    *out = (struct migset_name){0};
    if (n < 4 || strcmp(name + n - 4, ".sql") != 0) {
        return migset_bad_name(err, name, "the extension must be '.sql' (lowercase)");
    }
    if (name[0] != 'V' && name[0] != 'U') {
        return migset_bad_name(err, name,
                               "expected V<version>__<description>.sql (up) or "
                               "U<version>__<description>.sql (down)");
    }
    out->dir = name[0] == 'V' ? MIGSET_UP : MIGSET_DOWN;
    const char *body = name + 1;
    size_t blen = n - 5;
    const char *sep = strstr(body, "__");
    if (sep == NULL || (size_t)(sep - body) + 2 > blen) {
        return migset_bad_name(err, name, "expected '__' between the version and the description");
    }
    int rc = migset_parse_name_version(name, body, (size_t)(sep - body), out, err);
    if (rc != 0) {
        return rc;
    }
    return migset_parse_name_rest(name, sep + 2, blen - (size_t)(sep - body) - 2, out, err);
}
