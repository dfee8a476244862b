/*
 * dl.c - optional libraries loaded on first use (libhdf5, libarchive): see
 * docs/architecture.md, "Optional heavy libraries are loaded on first use".
 */
#include <dlfcn.h>

#include "util/internal.h"

void *bw_dlopen_first(const char *const *names, size_t n)
{
    void *lib = NULL;

    for (size_t i = 0; i < n && lib == NULL; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    return lib;
}
