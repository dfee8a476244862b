/*
 * project.c - where a project's state lives: the `.bulwark/` directory
 * (keys, ledger.db, trust store, cache), found the way git finds `.git`.
 *
 * $BULWARK_DIR names it outright. Otherwise the current directory and its
 * parents are searched for a `.bulwark` directory, stopping at the
 * filesystem root or at a directory holding `.git` (a repository's root:
 * a `.bulwark` above it belongs to another project). With none found, the
 * project is the current directory (its `.bulwark` made on demand).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli/cmd.h"

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (s != NULL) {
        memcpy(s, dir, a);
        s[a] = '/';
        memcpy(s + a + 1, name, b + 1);
        if (a == 1 && dir[0] == '/') {
            memmove(s + 1, s + 2, b + 1); /* "/" + name, not "//name" */
        }
    }
    return s;
}

/* Make dir (mode 0700) when absent; 0, or -1 with a message. */
static int make_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_error("cannot create '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (!is_dir(dir)) {
        cli_error("'%s' is not a directory", dir);
        return -1;
    }
    return 0;
}

char *cli_state_dir(bool create)
{
    const char *env = getenv("BULWARK_DIR");
    char cwd[PATH_MAX];
    char *found = NULL;

    if (env != NULL && env[0] != '\0') {
        found = strdup(env);
    } else if (getcwd(cwd, sizeof(cwd)) != NULL) {
        char dir[PATH_MAX];
        memcpy(dir, cwd, sizeof(dir));
        for (;;) {
            char *cand = join(dir, ".bulwark");
            if (cand == NULL) {
                break;
            }
            if (is_dir(cand)) {
                found = cand;
                break;
            }
            free(cand);
            char *git = join(dir, ".git");
            bool top = git == NULL || exists(git);
            free(git);
            char *slash = strrchr(dir, '/');
            if (top || slash == NULL || slash == dir) {
                break;
            }
            *slash = '\0';
        }
        if (found == NULL) {
            found = join(cwd, ".bulwark");
        }
    } else {
        found = strdup(".bulwark");
    }
    if (found == NULL) {
        cli_error("out of memory");
        return NULL;
    }
    if (create && make_dir(found) != 0) {
        free(found);
        return NULL;
    }
    return found;
}

char *cli_state_path(const char *name, bool create)
{
    char *dir = cli_state_dir(create);
    char *p = NULL;

    if (dir == NULL) {
        return NULL;
    }
    if (name == NULL || name[0] == '\0') {
        return dir;
    }
    p = join(dir, name);
    if (p == NULL) {
        cli_error("out of memory");
    } else if (create) {
        /* intermediate directories of name ("keys/x.key" makes keys/) */
        for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
            *s = '\0';
            int rc = make_dir(p);
            *s = '/';
            if (rc != 0) {
                free(p);
                p = NULL;
                break;
            }
        }
    }
    free(dir);
    return p;
}
