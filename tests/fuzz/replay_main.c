/*
 * Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so the
 * seed corpus and every saved crash (tests/fuzz/regressions/<target>/) run under ctest with
 * the ordinary sanitizer build. Usage: fuzz_replay_<target> [DIR_OR_FILE...]; without
 * arguments it replays REPLAY_CORPUS and REPLAY_REGRESSIONS (compiled in; the regressions
 * directory may be absent). Files in a directory run in name order; hidden files and
 * README* are skipped. Exit 0 when every input ran (a failing input aborts), 1 when an
 * argument cannot be read or nothing ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sw/err.h"
#include "sw/fsutil.h"

#define REPLAY_MAX_BYTES (16u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, size_t *n_run)
{
    char *data = NULL;
    size_t len = 0;
    struct sw_err err = {0};
    if (sw_file_read(path, REPLAY_MAX_BYTES, &data, &len, &err) < 0) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return -1;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    free(data);
    (*n_run)++;
    return 0;
}

static int replay_skip(const struct dirent *d)
{
    return d->d_name[0] != '.' && strncmp(d->d_name, "README", 6) != 0;
}

static int replay_dir(const char *dir, size_t *n_run)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, replay_skip, alphasort);
    int rc = n < 0 ? -1 : 0;
    char path[4096];
    if (n < 0) {
        fprintf(stderr, "replay: cannot read directory %s\n", dir);
    }
    for (int i = 0; i < n; i++) {
        int len = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (rc == 0 && (len < 0 || (size_t)len >= sizeof(path))) {
            fprintf(stderr, "replay: path too long in %s\n", dir);
            rc = -1;
        } else if (rc == 0) {
            rc = replay_file(path, n_run);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int replay_builtin(size_t *n_run)
{
    struct stat st;
    if (replay_dir(REPLAY_CORPUS, n_run) < 0) {
        return -1;
    }
    if (stat(REPLAY_REGRESSIONS, &st) != 0) {
        fprintf(stderr, "replay: no regressions (%s)\n", REPLAY_REGRESSIONS);
        return 0;
    }
    return replay_dir(REPLAY_REGRESSIONS, n_run);
}

int main(int argc, char **argv)
{
    size_t n_run = 0;
    if (argc == 1 && replay_builtin(&n_run) < 0) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i], &n_run)
                                                                : replay_file(argv[i], &n_run);
        if (rc < 0) {
            return 1;
        }
    }
    fprintf(stderr, "replay: %zu inputs ran\n", n_run);
    return n_run > 0 ? 0 : 1;
}
