/*
 * replay.c - run a fuzz target's entry point over files, without libFuzzer.
 *
 * Usage: replay_<target> PATH...   (each PATH a file or a directory of files)
 *
 * Every `meson test` runs each checked-in corpus through the same
 * LLVMFuzzerTestOneInput that libFuzzer drives, compiled with gcc or clang,
 * with or without sanitizers (the idea of libgit2's standalone_driver.c and
 * SQLite's `make fuzztest`). Output is TAP: one "ok N - <file>" per input,
 * then the plan. A bug in a target is a crash, which fails the test; an
 * unreadable input is "not ok". Each input is copied into a buffer of
 * exactly its size, so ASan catches a read one byte past the end.
 * Directories are read in sorted order, so runs are reproducible.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Inputs larger than this are not corpus files; refuse rather than exhaust memory. */
#define REPLAY_MAX_INPUT (64u << 20)

static int n_run, n_fail;

static void report(int good, const char *path, const char *why)
{
    n_run++;
    if (good) {
        printf("ok %d - %s\n", n_run, path);
    } else {
        n_fail++;
        printf("not ok %d - %s: %s\n", n_run, path, why);
    }
    fflush(stdout);
}

static void run_file(const char *path)
{
    FILE *f = NULL;
    unsigned char *data = NULL;
    struct stat st;
    size_t size, got;

    f = fopen(path, "rb");
    if (f == NULL) {
        report(0, path, strerror(errno));
        return;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        report(0, path, "not a regular file");
        goto out;
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > REPLAY_MAX_INPUT) {
        report(0, path, "too large for a corpus file");
        goto out;
    }
    size = (size_t)st.st_size;
    /* at least one byte, so an empty input still gets a non-NULL pointer, as libFuzzer gives */
    data = malloc(size == 0 ? 1 : size);
    if (data == NULL) {
        report(0, path, "out of memory");
        goto out;
    }
    got = fread(data, 1, size, f);
    if (got != size || ferror(f)) {
        report(0, path, "short read");
        goto out;
    }
    (void)LLVMFuzzerTestOneInput(data, size);
    report(1, path, NULL);
out:
    free(data);
    if (f != NULL) {
        fclose(f);
    }
}

static int skip_name(const struct dirent *d)
{
    /* hidden files (".", "..", ".gitkeep") and README-style notes are not inputs */
    return d->d_name[0] != '.' && strcmp(d->d_name, "README") != 0 && strcmp(d->d_name, "README.md") != 0;
}

static void run_path(const char *path)
{
    struct stat st;
    struct dirent **names = NULL;
    int n;

    if (stat(path, &st) != 0) {
        report(0, path, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    n = scandir(path, &names, skip_name, alphasort);
    if (n < 0) {
        report(0, path, strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(path) + 1 + strlen(names[i]->d_name) + 1;
        char *full = malloc(len);
        if (full == NULL) {
            report(0, names[i]->d_name, "out of memory");
        } else {
            snprintf(full, len, "%s/%s", path, names[i]->d_name);
            if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                run_path(full);
            } else {
                run_file(full);
            }
            free(full);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL) {
        (void)LLVMFuzzerInitialize(&argc, &argv);
    }
    for (int i = 1; i < argc; i++) {
        run_path(argv[i]);
    }
    if (n_run == 0) {
        printf("1..0 # skip no inputs\n");
        return 0;
    }
    printf("1..%d\n", n_run);
    return n_fail ? 1 : 0;
}
