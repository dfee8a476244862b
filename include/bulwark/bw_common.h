/*
 * bw_common.h - status codes, the error record, byte views and allocation.
 *
 * Every libbulwark function that can fail returns a bw_status (0 = BW_OK,
 * negative = error) and, when the caller passes one, fills a bw_error with
 * the code, the byte offset into the input and a message naming what failed.
 * The error record needs no allocation, so it still works after BW_ENOMEM.
 */
#ifndef BULWARK_BW_COMMON_H
#define BULWARK_BW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BW_BUILDING_LIBRARY)
#define BW_API __attribute__((visibility("default")))
#else
#define BW_API
#endif

#define BW_NODISCARD __attribute__((warn_unused_result))
#define BW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/**
 * Status codes. 0 is success, errors are negative. New codes are added at
 * the end; a code is never renumbered or reused.
 */
typedef enum bw_status {
    BW_OK = 0,
    BW_EINVAL = -1,        /**< misuse: a bad argument or option */
    BW_EFORMAT = -2,       /**< hostile or broken input */
    BW_ELIMIT = -3,        /**< input over a configured limit, or a size overflow */
    BW_EIO = -4,           /**< the environment: open, read, write, stat */
    BW_ENOMEM = -5,        /**< out of memory */
    BW_EVERIFY = -6,       /**< an integrity check failed */
    BW_ENOTFOUND = -7,     /**< a named file, key or entry does not exist */
    BW_ECHANGED = -8,      /**< a file changed while it was being read */
    BW_ELOOP = -9,         /**< a directory loop */
    BW_EUNSUPPORTED = -10, /**< valid input that this version cannot handle */
    BW_ECANCELED = -11,    /**< stopped by the caller (a callback said stop) */
} bw_status;

/** No byte offset applies to this error. */
#define BW_NO_OFFSET UINT64_MAX

#define BW_ERROR_MSG_SIZE 256

/**
 * An error record owned by the caller. Functions that take a `bw_error *`
 * accept NULL. On failure the record holds the code, the byte offset into
 * the input (BW_NO_OFFSET when none applies) and a NUL-terminated message
 * that starts lowercase and names the subject first:
 * "cannot open 'model.pkl': permission denied".
 */
typedef struct bw_error {
    bw_status code;
    uint64_t offset;
    char msg[BW_ERROR_MSG_SIZE];
    const char *src_file; /**< where in libbulwark the error was raised */
    int src_line;
} bw_error;

/** Static text for a status code ("format error", ...). Never NULL. */
BW_API const char *bw_strerror(bw_status code);

/** Reset an error record to BW_OK with an empty message. */
BW_API void bw_error_clear(bw_error *err);

/** A borrowed view of bytes: pointer plus length, never NUL-trusted. */
typedef struct bw_bytes {
    const uint8_t *ptr;
    size_t len;
} bw_bytes;

/** Release memory the library allocated for the caller. NULL is a no-op. */
BW_API void bw_free(void *p);

/** Version of the library, "MAJOR.MINOR.PATCH". */
BW_API const char *bw_version(void);

#ifdef __cplusplus
}
#endif
#endif
