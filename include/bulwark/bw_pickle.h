/*
 * bw_pickle.h - a static analyser of Python pickle streams (protocols 0-5).
 *
 * The analyser runs every opcode on a symbolic stack and never executes
 * anything. It reports facts, not verdicts: which globals the stream imports
 * (resolved as CPython's Unpickler would: protocol < 3 fix_imports aliases,
 * dotted names at protocol >= 4), which of them are called or BUILT, and
 * structural issues (an import whose operands are not literal strings, a
 * call result used as a callable, a truncated stream, bytes after STOP, a
 * FRAME that disagrees with its contents, a missing memo slot ...). The
 * policy that turns facts into safe / review / unsafe lives in lib/scan.
 */
#ifndef BULWARK_BW_PICKLE_H
#define BULWARK_BW_PICKLE_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One import of a global (GLOBAL, STACK_GLOBAL, INST, OBJ's class, EXT via the registry). */
typedef struct bw_pickle_global {
    const char *module;     /**< resolved module (fix_imports applied), NUL-terminated; escaped
                                 (bw_escape_for_log), "..." if over 256 bytes; for a
                                 non-literal STACK_GLOBAL operand a description in <...> */
    const char *name;       /**< resolved qualified name, may be dotted ("Popen", "path.join") */
    const char *raw_module; /**< as written in the stream */
    const char *raw_name;
    uint64_t offset;       /**< byte offset of the importing opcode */
    uint8_t opcode;        /**< the importing opcode byte ('c', 0x93, 'i', ...) */
    unsigned called : 1;   /**< used as the callable of REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ */
    unsigned built : 1;    /**< the target of BUILD (its state set): the global itself, or an
                                 object made by calling it (whose __setstate__ then runs) */
    unsigned from_ext : 1; /**< named through EXT1/2/4 (copyreg's extension registry) */
} bw_pickle_global;

typedef enum bw_pickle_issue_kind {
    BW_PICKLE_MALFORMED = 0,          /**< truncated, unknown opcode, stack/mark underflow, bad argument */
    BW_PICKLE_NONLITERAL_IMPORT = 1,  /**< STACK_GLOBAL operand not a literal string (built by a call,
                                          fetched from the memo after a call, ...) */
    BW_PICKLE_CALL_RESULT_CALLED = 2, /**< the result of a call used as a callable */
    BW_PICKLE_BUILD_ON_GLOBAL = 3,    /**< BUILD applied to an imported module, class or function */
    BW_PICKLE_AFTER_STOP = 4,         /**< bytes after STOP that are not another pickle */
    BW_PICKLE_BAD_FRAME = 5,          /**< a FRAME whose length disagrees with the opcodes in it */
    BW_PICKLE_MEMO_MISSING = 6,       /**< GET of a memo slot never PUT */
    BW_PICKLE_EXT = 7,                /**< EXT1/2/4: a global named through copyreg's registry */
    BW_PICKLE_LIMIT = 8,              /**< an analysis limit was hit (ops, memo, depth); analysis stopped */
} bw_pickle_issue_kind;

typedef struct bw_pickle_issue {
    bw_pickle_issue_kind kind;
    uint64_t offset; /**< byte offset of the opcode concerned */
    char msg[160];   /**< what, with escaped operands: "STACK_GLOBAL operand is the result of a call" */
} bw_pickle_issue;

typedef struct bw_pickle_result {
    bw_pickle_global *globals; /**< in stream order */
    size_t n_globals;
    bw_pickle_issue *issues;
    size_t n_issues;
    uint8_t protocol;        /**< from PROTO, 0 if absent */
    uint64_t end;            /**< offset just past STOP (or where analysis stopped) */
    int complete;            /**< STOP was reached */
    int call_before_break;   /**< a call happened before the stream broke (malformed + call = unsafe) */
    uint64_t n_ops;          /**< opcodes analysed */
    uint64_t n_calls;        /**< REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ executed symbolically */
    uint64_t persistent_ids; /**< PERSID/BINPERSID (PyTorch storages use them) */
} bw_pickle_result;

typedef struct bw_pickle_opts {
    unsigned version; /**< BW_PICKLE_OPTS_VERSION */
    uint64_t max_ops; /**< 0 = default (100 million) */
    size_t max_memo;  /**< memo entries; 0 = default (1 million) */
    size_t max_stack; /**< stack + mark depth; 0 = default (1 million) */
    int joblib;       /**< step over the raw NumPy array bytes joblib writes after a
                                NumpyArrayWrapper's BUILD, as joblib's unpickler does */
    int stop_at_end;  /**< 1: treat bytes after STOP as not ours (the caller handles
                                stacked pickles); 0: report them as BW_PICKLE_AFTER_STOP */
} bw_pickle_opts;

#define BW_PICKLE_OPTS_VERSION 1
#define BW_PICKLE_OPTS_INIT                                                                                            \
    {                                                                                                                  \
        BW_PICKLE_OPTS_VERSION, 0, 0, 0, 0, 1                                                                          \
    }

/**
 * Analyse the pickle starting at p[0]. Malformed input is not an error: the
 * result records issues and how far analysis got.
 * @param out  receives the result; free with bw_pickle_result_free()
 * @param name names the input in issue messages; borrowed
 * @return BW_OK, BW_ENOMEM, BW_EINVAL
 */
BW_API bw_status bw_pickle_analyze(bw_pickle_result **out, const void *p, size_t n, const char *name,
                                   const bw_pickle_opts *opts, bw_error *err) BW_NODISCARD;
BW_API void bw_pickle_result_free(bw_pickle_result *r);

/** Name of an opcode byte ("GLOBAL", "STACK_GLOBAL", ...), or NULL if it is not one. */
BW_API const char *bw_pickle_opname(uint8_t op);

#ifdef __cplusplus
}
#endif
#endif
