/*
 * libFuzzer entry points for the migration-set parsers (proto/src), one binary per
 * target, chosen by -DFUZZ_TARGET=<name> (see fuzz.cmake):
 *   migset    migset_load_files over files cut from the input ("=== <name>" lines start
 *             a file; text before the first such line is "V1__fuzz.sql"). When the set
 *             loads, its rendered manifest added to the files must load again with the
 *             same digest.
 *   directive directive_parse; a parsed set keeps its bounds.
 *   version   version_parse; what parses formats, and the text parses to an equal version.
 *   manifest  manifest_parse; every parsed entry is found by name.
 * The same file is also built without libFuzzer to replay the corpus and the regression
 * inputs under ctest (replay_main.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/directive.h"
#include "sw/manifest.h"
#include "sw/migset.h"
#include "sw/version.h"

#define FUZZ_MAX_FILES  64
#define FUZZ_HEADER     "=== "
#define FUZZ_HEADER_LEN 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, detail);
    abort();
}

/* Cuts the input into files; names point into `names` (NUL-terminated copies). */
struct fuzz_files {
    struct migset_mem_file files[FUZZ_MAX_FILES + 1];
    char names[FUZZ_MAX_FILES][256];
    size_t n;
};

static size_t fuzz_line_end(const char *s, size_t pos, size_t size)
{
    const char *nl = memchr(s + pos, '\n', size - pos);
    return nl != NULL ? (size_t)(nl - s) : size;
}

static void fuzz_files_add(struct fuzz_files *ff, const char *name, size_t name_len)
{
    size_t n = name_len < sizeof(ff->names[0]) - 1 ? name_len : sizeof(ff->names[0]) - 1;
    memcpy(ff->names[ff->n], name, n);
    ff->names[ff->n][n] = '\0';
    ff->files[ff->n].name = ff->names[ff->n];
    ff->files[ff->n].content = "";
    ff->files[ff->n].len = 0;
    ff->n++;
}

static void fuzz_files_cut(const char *s, size_t size, struct fuzz_files *ff)
{
    size_t pos = 0, body = 0;
    ff->n = 0;
    if (size < FUZZ_HEADER_LEN || memcmp(s, FUZZ_HEADER, FUZZ_HEADER_LEN) != 0) {
        fuzz_files_add(ff, "V1__fuzz.sql", strlen("V1__fuzz.sql"));
    }
    while (pos <= size) {
        size_t end = fuzz_line_end(s, pos, size);
        bool header =
            end - pos >= FUZZ_HEADER_LEN && memcmp(s + pos, FUZZ_HEADER, FUZZ_HEADER_LEN) == 0;
        if (header && ff->n < FUZZ_MAX_FILES) {
            if (ff->n > 0) {
                ff->files[ff->n - 1].content = s + body;
                ff->files[ff->n - 1].len = pos - body;
            }
            fuzz_files_add(ff, s + pos + FUZZ_HEADER_LEN, end - pos - FUZZ_HEADER_LEN);
            body = end < size ? end + 1 : size;
        }
        pos = end + 1;
    }
    if (ff->n > 0 && body <= size) {
        ff->files[ff->n - 1].content = s + body;
        ff->files[ff->n - 1].len = size - body;
    }
}

static bool fuzz_has_manifest(const struct fuzz_files *ff)
{
    for (size_t i = 0; i < ff->n; i++) {
        if (strcmp(ff->files[i].name, MANIFEST_FILE_NAME) == 0) {
            return true;
        }
    }
    return false;
}

/* The rendered manifest of a loaded set, added to its files, must load to the same set. */
static void fuzz_migset_manifest_round_trip(struct fuzz_files *ff, const struct migset *set)
{
    struct sw_err err = {0};
    struct migset *again = NULL;
    char *sum = NULL;
    if (manifest_render(set, &sum, &err) < 0) {
        fuzz_fail("a loaded set's manifest does not render", err.msg);
    }
    ff->files[ff->n] = (struct migset_mem_file){MANIFEST_FILE_NAME, sum, strlen(sum)};
    if (migset_load_files(ff->files, ff->n + 1, NULL, &again, &err) < 0) {
        fuzz_fail("the set does not load with its own manifest", err.msg);
    }
    if (strcmp(migset_digest(set), migset_digest(again)) != 0) {
        fuzz_fail("the digest changes with the manifest", migset_digest(again));
    }
    migset_free(again);
    free(sum);
}

static struct fuzz_files fuzz_migset_files;

__attribute__((unused)) static void fuzz_migset(const uint8_t *data, size_t size)
{
    struct fuzz_files *ff = &fuzz_migset_files;
    struct sw_err err = {0};
    struct migset *set = NULL;
    fuzz_files_cut((const char *)data, size, ff);
    if (migset_load_files(ff->files, ff->n, NULL, &set, &err) < 0) {
        return;
    }
    for (size_t i = 1; i < migset_count(set); i++) {
        if (version_cmp(&migset_step_at(set, i - 1)->version, &migset_step_at(set, i)->version) >=
            0) {
            fuzz_fail("steps out of order", migset_step_at(set, i)->version_text);
        }
    }
    if (!fuzz_has_manifest(ff)) {
        fuzz_migset_manifest_round_trip(ff, set);
    }
    migset_free(set);
}

__attribute__((unused)) static void fuzz_directive(const uint8_t *data, size_t size)
{
    struct directive_set ds;
    struct sw_err err = {0};
    if (directive_parse((const char *)data, size, &ds, &err) < 0) {
        return;
    }
    if (ds.n_allows > DIRECTIVE_MAX_ALLOWS || ds.lock_timeout_ms < -1 ||
        ds.statement_timeout_ms < -1) {
        fuzz_fail("directive set out of bounds", "allows/timeouts");
    }
    if (strnlen(ds.destructive_reason, DIRECTIVE_REASON_MAX) == DIRECTIVE_REASON_MAX) {
        fuzz_fail("destructive reason not terminated", "");
    }
}

__attribute__((unused)) static void fuzz_version(const uint8_t *data, size_t size)
{
    struct version a, b;
    struct sw_err err = {0};
    char text[VERSION_TEXT_MAX];
    if (version_parse((const char *)data, size, &a, &err) < 0) {
        return;
    }
    version_format(&a, text, sizeof(text));
    if (version_parse_str(text, &b, &err) < 0) {
        fuzz_fail("canonical text does not parse", text);
    }
    if (version_cmp(&a, &b) != 0) {
        fuzz_fail("canonical text parses to another version", text);
    }
}

__attribute__((unused)) static void fuzz_manifest(const uint8_t *data, size_t size)
{
    struct manifest m = {0};
    struct sw_err err = {0};
    if (manifest_parse((const char *)data, size, &m, &err) < 0) {
        manifest_cleanup(&m);
        return;
    }
    for (size_t i = 0; i < m.n_entries; i++) {
        if (manifest_find(&m, m.entries[i].name) != &m.entries[i]) {
            fuzz_fail("entry not found by its name", m.entries[i].name);
        }
    }
    manifest_cleanup(&m);
}

#define FUZZ_CAT2(a, b) a##b
#define FUZZ_CAT(a, b)  FUZZ_CAT2(a, b)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_CAT(fuzz_, FUZZ_TARGET)(data, size);
    return 0;
}
