/*
 * test_log.c - the log callback: what it receives, level filtering,
 * BULWARK_TRACE per component, a NULL callback, and that BW_LOG does not
 * evaluate its arguments when the level is filtered out.
 */
#include "tap.h"
#include "util/internal.h"

struct rec {
    int calls;
    bw_log_level level;
    char comp[32];
    char msg[2048];
    void *ud_seen;
};

static void cb(bw_log_level level, const char *component, const char *msg, void *ud)
{
    struct rec *r = ud;
    r->calls++;
    r->level = level;
    snprintf(r->comp, sizeof(r->comp), "%s", component ? component : "(null)");
    snprintf(r->msg, sizeof(r->msg), "%s", msg);
    r->ud_seen = ud;
}

static int evaluated;
static int side_effect(void)
{
    evaluated++;
    return 7;
}

static void test_callback(void)
{
    struct rec r = {0};

    unsetenv("BULWARK_TRACE");
    bw_log_set(cb, BW_LOG_INFO, &r);
    BW_LOG(BW_LOG_WARN, "walk", "cannot read '%s': %d", "a.bin", 13);
    is_int(r.calls, 1, "callback called once");
    is_int(r.level, BW_LOG_WARN, "callback gets the level");
    is_str(r.comp, "walk", "callback gets the component");
    is_str(r.msg, "cannot read 'a.bin': 13", "callback gets the formatted message");
    ok(r.ud_seen == &r, "callback gets the user data");

    BW_WARN("digest", "w");
    is_int(r.level, BW_LOG_WARN, "BW_WARN level");
    is_str(r.comp, "digest", "BW_WARN component");
    BW_LOG(BW_LOG_ERROR, "x", "e");
    is_int(r.level, BW_LOG_ERROR, "ERROR passes an INFO filter");
    BW_LOG(BW_LOG_INFO, "x", "i");
    is_int(r.level, BW_LOG_INFO, "INFO passes an INFO filter");
    is_int(r.calls, 4, "four messages delivered");

    /* long messages are truncated, not overflowed */
    {
        char big[3000];
        memset(big, 'z', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        BW_LOG(BW_LOG_ERROR, "x", "%s", big);
        ok(r.calls == 5 && strlen(r.msg) > 100 && strlen(r.msg) < sizeof(big) - 1,
           "a long message is truncated (%zu bytes)", strlen(r.msg));
    }
}

static void test_levels(void)
{
    struct rec r = {0};

    unsetenv("BULWARK_TRACE");
    bw_log_set(cb, BW_LOG_WARN, &r);
    BW_LOG(BW_LOG_INFO, "x", "info");
    BW_DEBUG("x", "debug");
    BW_TRACE("x", "trace");
    is_int(r.calls, 0, "INFO, DEBUG and TRACE filtered at WARN");
    BW_WARN("x", "warn");
    BW_LOG(BW_LOG_ERROR, "x", "error");
    is_int(r.calls, 2, "WARN and ERROR delivered at WARN");

    r.calls = 0;
    bw_log_set(cb, BW_LOG_ERROR, &r);
    BW_WARN("x", "warn");
    is_int(r.calls, 0, "WARN filtered at ERROR");
    BW_LOG(BW_LOG_ERROR, "x", "error");
    is_int(r.calls, 1, "ERROR delivered at ERROR");

    r.calls = 0;
    bw_log_set(cb, BW_LOG_TRACE, &r);
    BW_TRACE("anything", "t");
    BW_DEBUG("anything", "d");
    is_int(r.calls, 2, "level TRACE delivers TRACE and DEBUG for every component");
    is_int(r.level, BW_LOG_DEBUG, "last level DEBUG");
}

static void test_trace_env(void)
{
    struct rec r = {0};

    setenv("BULWARK_TRACE", "walk", 1);
    bw_log_set(cb, BW_LOG_INFO, &r);
    BW_TRACE("walk", "traced %d", 1);
    is_int(r.calls, 1, "BULWARK_TRACE=walk enables TRACE for walk");
    is_str(r.comp, "walk", "trace component");
    is_int(r.level, BW_LOG_TRACE, "trace level");
    BW_TRACE("digest", "not traced");
    is_int(r.calls, 1, "TRACE for another component stays off");
    BW_TRACE("wal", "prefix");
    BW_TRACE("walker", "longer");
    BW_TRACE(NULL, "no component");
    is_int(r.calls, 1, "only the exact component name matches");
    BW_DEBUG("walk", "debug");
    is_int(r.calls, 1, "tracing a component does not enable its DEBUG");
    BW_LOG(BW_LOG_INFO, "digest", "info");
    is_int(r.calls, 2, "other components keep the base level");

    r.calls = 0;
    setenv("BULWARK_TRACE", "parquet,ledger", 1);
    bw_log_set(cb, BW_LOG_WARN, &r);
    BW_TRACE("parquet", "a");
    BW_TRACE("ledger", "b");
    BW_TRACE("walk", "c");
    is_int(r.calls, 2, "a list enables each listed component");

    r.calls = 0;
    setenv("BULWARK_TRACE", "all", 1);
    bw_log_set(cb, BW_LOG_ERROR, &r);
    BW_TRACE("walk", "a");
    BW_TRACE("digest", "b");
    is_int(r.calls, 2, "all enables TRACE everywhere");
    BW_WARN("walk", "w");
    BW_DEBUG("walk", "d");
    is_int(r.calls, 2, "all does not lower the base level for WARN or DEBUG");

    r.calls = 0;
    setenv("BULWARK_TRACE", "", 1);
    bw_log_set(cb, BW_LOG_INFO, &r);
    BW_TRACE("walk", "a");
    is_int(r.calls, 0, "empty BULWARK_TRACE traces nothing");
    is_int(bw_log_max_level, BW_LOG_INFO, "empty BULWARK_TRACE keeps the fast-path level");

    /* the environment is read by bw_log_set, not per message */
    r.calls = 0;
    setenv("BULWARK_TRACE", "walk", 1);
    BW_TRACE("walk", "a");
    is_int(r.calls, 0, "changing the environment without bw_log_set changes nothing");
    unsetenv("BULWARK_TRACE");
    bw_log_set(cb, BW_LOG_INFO, &r);
}

static void test_null_callback(void)
{
    struct rec r = {0};

    unsetenv("BULWARK_TRACE");
    bw_log_set(cb, BW_LOG_TRACE, &r);
    bw_log_set(NULL, BW_LOG_TRACE, &r);
    evaluated = 0;
    BW_LOG(BW_LOG_ERROR, "x", "error %d", side_effect());
    BW_TRACE("x", "trace %d", side_effect());
    is_int(r.calls, 0, "NULL callback silences everything, even ERROR");
    is_int(evaluated, 0, "NULL callback: arguments not evaluated");
    ok(!bw_log_enabled(BW_LOG_ERROR, "x"), "bw_log_enabled is false with no callback");
    bw_log_emit(BW_LOG_ERROR, "x", "direct %d", 1);
    is_int(r.calls, 0, "bw_log_emit with no callback is a no-op");

    setenv("BULWARK_TRACE", "all", 1);
    bw_log_set(NULL, BW_LOG_TRACE, &r);
    BW_TRACE("x", "trace %d", side_effect());
    is_int(evaluated, 0, "NULL callback with BULWARK_TRACE=all: still silent");
    unsetenv("BULWARK_TRACE");
}

static void test_lazy_args(void)
{
    struct rec r = {0};

    unsetenv("BULWARK_TRACE");
    bw_log_set(cb, BW_LOG_WARN, &r);
    evaluated = 0;
    BW_DEBUG("x", "value %d", side_effect());
    BW_TRACE("x", "value %d", side_effect());
    BW_LOG(BW_LOG_INFO, "x", "value %d", side_effect());
    is_int(evaluated, 0, "arguments of filtered messages are not evaluated");
    BW_WARN("x", "value %d", side_effect());
    is_int(evaluated, 1, "arguments of delivered messages are evaluated once");
    is_str(r.msg, "value 7", "delivered message uses the argument");

    /* tracing on for one component: other components' TRACE args stay unevaluated */
    setenv("BULWARK_TRACE", "walk", 1);
    bw_log_set(cb, BW_LOG_WARN, &r);
    evaluated = 0;
    BW_TRACE("digest", "value %d", side_effect());
    BW_DEBUG("walk", "value %d", side_effect());
    is_int(evaluated, 0, "filtered component's arguments not evaluated under tracing");
    BW_TRACE("walk", "value %d", side_effect());
    is_int(evaluated, 1, "traced component's arguments evaluated");
    unsetenv("BULWARK_TRACE");
    bw_log_set(NULL, BW_LOG_ERROR, NULL);
}

int main(void)
{
    test_callback();
    test_levels();
    test_trace_env();
    test_null_callback();
    test_lazy_args();
    return done_testing();
}
