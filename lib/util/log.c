/*
 * log.c - the process-wide log callback and per-component tracing.
 *
 * The callback and level are installed once at start-up by the application,
 * before any worker thread starts. BULWARK_TRACE=comp1,comp2 (or "all")
 * turns on TRACE messages for those components only; every other message
 * keeps the caller's level. bw_log_max_level is the cheap first test done by
 * BW_LOG before any argument is evaluated.
 */
#include "util/internal.h"

int bw_log_max_level = -1;
static int base_level = -1;
static bw_log_fn log_fn;
static void *log_ud;
static char trace_list[256];
static bool trace_all;

void bw_log_set(bw_log_fn fn, bw_log_level max_level, void *ud)
{
    const char *t = getenv("BULWARK_TRACE");

    log_fn = fn;
    log_ud = ud;
    trace_all = false;
    trace_list[0] = '\0';
    if (t != NULL && *t != '\0') {
        /* ",a,b," with blanks dropped, so "walk, digest" works as the user meant */
        size_t o = 0;
        trace_list[o++] = ',';
        for (; *t != '\0' && o + 2 < sizeof(trace_list); t++) {
            if (*t != ' ' && *t != '\t') {
                trace_list[o++] = *t;
            }
        }
        trace_list[o++] = ',';
        trace_list[o] = '\0';
        trace_all = strstr(trace_list, ",all,") != NULL;
    }
    base_level = fn == NULL ? -1 : (int)max_level;
    bw_log_max_level = fn == NULL ? -1 : (trace_list[0] != '\0' ? (int)BW_LOG_TRACE : base_level);
}

bool bw_log_enabled(bw_log_level lvl, const char *component)
{
    char key[48];

    if (log_fn == NULL) {
        return false;
    }
    if ((int)lvl <= base_level) {
        return true;
    }
    if (lvl != BW_LOG_TRACE || trace_list[0] == '\0') {
        return false;
    }
    if (trace_all) {
        return true;
    }
    if (component == NULL) {
        return false;
    }
    snprintf(key, sizeof(key), ",%s,", component);
    return strstr(trace_list, key) != NULL;
}

void bw_log_emit(bw_log_level lvl, const char *component, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (log_fn == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_fn(lvl, component, msg, log_ud);
}
