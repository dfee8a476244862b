/*
 * larchive.c - libarchive, loaded on first use. See larchive.h.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "util/larchive.h"

#define LA_DEF(name) __typeof__(name) *p_##name;
LA_FUNCS(LA_DEF)
#undef LA_DEF
static bool la_loaded;
static pthread_once_t la_once = PTHREAD_ONCE_INIT;

static void la_resolve(void)
{
    static const char *const names[] = {"libarchive.so.13", "libarchive.so"};
    void *lib;

    if (getenv("BULWARK_TEST_NO_LIBARCHIVE") != NULL) {
        return; /* test hook: behave as on a machine without libarchive */
    }
    lib = bw_dlopen_first(names, BW_ARRAY_LEN(names));
    if (lib == NULL) {
        return;
    }
#define LA_SYM(name)                                                                                                   \
    if ((*(void **)&p_##name = dlsym(lib, #name)) == NULL) {                                                           \
        return;                                                                                                        \
    }
    LA_FUNCS(LA_SYM)
#undef LA_SYM
    la_loaded = true;
}

bool bw_la_load(void)
{
    pthread_once(&la_once, la_resolve);
    return la_loaded;
}

struct archive *bw_la_open(const void *p, size_t n, enum bw_la_kind kind)
{
    struct archive *a = p_archive_read_new();
    int (*const filters[])(struct archive *) = {
        p_archive_read_support_filter_gzip, p_archive_read_support_filter_bzip2, p_archive_read_support_filter_xz,
        p_archive_read_support_filter_lzma, p_archive_read_support_filter_zstd,
    };
    unsigned usable = 0;

    if (a == NULL) {
        return NULL;
    }
    /* ARCHIVE_WARN means "through an external program": not on hostile input */
    for (size_t i = 0; i < BW_ARRAY_LEN(filters); i++) {
        if (filters[i](a) == ARCHIVE_OK) {
            usable |= 1u << i;
        }
    }
    if (usable != (1u << BW_ARRAY_LEN(filters)) - 1) {
        p_archive_read_free(a);
        a = p_archive_read_new();
        if (a == NULL) {
            return NULL;
        }
        for (size_t i = 0; i < BW_ARRAY_LEN(filters); i++) {
            if (usable & (1u << i)) {
                (void)filters[i](a);
            }
        }
    }
    (void)p_archive_read_support_filter_none(a);
    if (kind == BW_LA_RAW) {
        (void)p_archive_read_support_format_raw(a);
    } else {
        (void)p_archive_read_support_format_tar(a);
        (void)p_archive_read_support_format_gnutar(a);
        if (kind == BW_LA_ANY) {
            (void)p_archive_read_support_format_zip(a);
        }
    }
    (void)p_archive_read_open_memory(a, p, n); /* an error shows at the first header read */
    return a;
}
