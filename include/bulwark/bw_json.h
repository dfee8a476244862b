/*
 * bw_json.h - a streaming JSON writer into a bw_buf.
 *
 * The writer tracks nesting and commas itself, escapes strings per RFC 8259
 * (control characters as \u00XX; invalid UTF-8 replaced by U+FFFD so the
 * output is always valid JSON), and writes doubles so they read back equal
 * (non-finite values become null). Errors stick in the buffer (see bw_buf).
 */
#ifndef BULWARK_BW_JSON_H
#define BULWARK_BW_JSON_H

#include "bw_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_JSON_MAX_DEPTH 64

typedef struct bw_json {
    bw_buf *out; /**< borrowed */
    int pretty;  /**< indent two spaces a level */
    int depth;
    int after_key;                    /**< a key was written; the next value needs no comma */
    uint8_t count[BW_JSON_MAX_DEPTH]; /**< whether the container at each depth has members (0/1) */
    bw_status err;
    uint64_t objects; /**< bit d-1 set: the container at depth d is an object, not an array */
    int done;         /**< a complete top-level value has been written */
} bw_json;

BW_API void bw_json_init(bw_json *j, bw_buf *out, int pretty);
BW_API void bw_json_obj_begin(bw_json *j);
BW_API void bw_json_obj_end(bw_json *j);
BW_API void bw_json_arr_begin(bw_json *j);
BW_API void bw_json_arr_end(bw_json *j);
BW_API void bw_json_key(bw_json *j, const char *key);
BW_API void bw_json_str(bw_json *j, const char *s); /**< NULL writes null */
BW_API void bw_json_strn(bw_json *j, const char *s, size_t n);
BW_API void bw_json_int(bw_json *j, int64_t v);
BW_API void bw_json_uint(bw_json *j, uint64_t v);
BW_API void bw_json_double(bw_json *j, double v);
BW_API void bw_json_bool(bw_json *j, int v);
BW_API void bw_json_null(bw_json *j);
/** Insert already-serialised JSON as a value (trusted, from our own writers). */
BW_API void bw_json_raw(bw_json *j, const char *json, size_t n);
/** Convenience: key then string value. */
BW_API void bw_json_kv_str(bw_json *j, const char *key, const char *s);
BW_API void bw_json_kv_int(bw_json *j, const char *key, int64_t v);
/** BW_OK when the document is complete (depth 0) and no append failed. */
BW_API bw_status bw_json_finish(bw_json *j) BW_NODISCARD;

/** Append `s` to `out` as the inside of a JSON string (no quotes). */
BW_API bw_status bw_json_escape(bw_buf *out, const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
