/*
 * bw_log.h - how the library talks: a log callback and progress callbacks.
 *
 * The library never writes to stdout or stderr. An application installs one
 * log callback for the process; messages below its level are not even
 * formatted. Messages never contain secrets, and control characters in
 * attacker-supplied text (file names, values) are escaped before logging.
 * Components can be traced one by one with BULWARK_TRACE=walk,digest (or all).
 */
#ifndef BULWARK_BW_LOG_H
#define BULWARK_BW_LOG_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bw_log_level {
    BW_LOG_ERROR = 0,
    BW_LOG_WARN = 1,
    BW_LOG_INFO = 2,
    BW_LOG_DEBUG = 3,
    BW_LOG_TRACE = 4,
} bw_log_level;

/** `component` is a short static name ("walk", "digest"); `msg` has no trailing newline. */
typedef void (*bw_log_fn)(bw_log_level level, const char *component, const char *msg, void *ud);

/** Install the callback (NULL silences the library) and the most verbose level passed to it. */
BW_API void bw_log_set(bw_log_fn fn, bw_log_level max_level, void *ud);

/**
 * Progress of long work: `done` of `total` units (bytes, files; total 0 when
 * unknown). Called from the worker that made progress, at most every few
 * milliseconds; it must be thread-safe and quick.
 */
typedef void (*bw_progress_fn)(void *ud, const char *what, uint64_t done, uint64_t total);

#ifdef __cplusplus
}
#endif
#endif
