/*
 * bw_gguf.h - a bounds-checked reader of GGUF files (llama.cpp / ggml), and
 * a checker for the Jinja chat templates they carry.
 *
 * Layout (little-endian): "GGUF", u32 version (1, 2 or 3), tensor count and
 * metadata count (u32 in version 1, u64 after), the metadata key/value pairs,
 * the tensor infos (name, u32 n_dims, dims, u32 ggml type, u64 offset), then
 * padding to the alignment ("general.alignment", default 32) and the tensor
 * data. Strings are a length (u32 in v1, u64 after) and UTF-8 bytes.
 *
 * bw_gguf_parse walks all of it, checks every length against the bytes left
 * and every count against a cap before it allocates, and rejects what ggml's
 * own loader rejects (duplicate keys or tensor names, more than 4 dims, an
 * unknown ggml type, a first dimension not a multiple of the block size, an
 * offset not aligned, tensor data past the end of the file) plus overlapping
 * tensors. Keys, names and string values are views into the input.
 */
#ifndef BULWARK_BW_GGUF_H
#define BULWARK_BW_GGUF_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_GGUF_MAX_TENSORS (1u << 20)
#define BW_GGUF_MAX_KV (1u << 20)
#define BW_GGUF_MAX_DIMS 4
#define BW_GGUF_MAX_ARRAY_DEPTH 4
#define BW_GGUF_MAX_STRING (256u << 20)
#define BW_GGUF_DEFAULT_ALIGNMENT 32

typedef enum bw_gguf_type {
    BW_GGUF_UINT8 = 0,
    BW_GGUF_INT8 = 1,
    BW_GGUF_UINT16 = 2,
    BW_GGUF_INT16 = 3,
    BW_GGUF_UINT32 = 4,
    BW_GGUF_INT32 = 5,
    BW_GGUF_FLOAT32 = 6,
    BW_GGUF_BOOL = 7,
    BW_GGUF_STRING = 8,
    BW_GGUF_ARRAY = 9,
    BW_GGUF_UINT64 = 10,
    BW_GGUF_INT64 = 11,
    BW_GGUF_FLOAT64 = 12,
} bw_gguf_type;

typedef struct bw_gguf_kv {
    bw_bytes key; /**< view into the input, valid UTF-8 */
    bw_gguf_type type;
    uint64_t offset;   /**< file offset of the value */
    bw_bytes str;      /**< STRING: the value (view) */
    uint64_t u;        /**< integer and bool values, zero-extended (signed ones as their bits) */
    bw_gguf_type elem; /**< ARRAY: element type */
    uint64_t count;    /**< ARRAY: element count */
} bw_gguf_kv;

typedef struct bw_gguf_tensor {
    bw_bytes name;
    uint32_t n_dims;
    uint64_t dims[BW_GGUF_MAX_DIMS];
    uint32_t type;   /**< ggml type id */
    uint64_t offset; /**< relative to the data section */
    uint64_t nbytes;
} bw_gguf_tensor;

typedef struct bw_gguf_file {
    uint32_t version;
    uint64_t n_tensors;
    uint64_t n_kv;
    uint32_t alignment;
    uint64_t data_start; /**< file offset of the data section */
    bw_gguf_kv *kv;
    bw_gguf_tensor *tensors;
} bw_gguf_file;

/** Name of a ggml type id ("Q4_K"), NULL if unknown; *block and *type_size give its block layout. */
BW_API const char *bw_gguf_ggml_type(uint32_t type, uint32_t *block, uint32_t *type_size);

/**
 * Parse `n` bytes at `p` (a whole file). `name` (borrowed) prefixes error
 * messages. The file's views point into `p`, which must outlive *out.
 * @return BW_OK, BW_EFORMAT / BW_ELIMIT / BW_EUNSUPPORTED (malformed), BW_ENOMEM
 */
BW_API bw_status bw_gguf_parse(const void *p, size_t n, const char *name, bw_gguf_file *out,
                               bw_error *err) BW_NODISCARD;
BW_API void bw_gguf_release(bw_gguf_file *f);

/** Longest template checked; a longer one is reported as suspicious in itself. */
#define BW_JINJA_MAX_TEMPLATE (1u << 20)

/** A suspicious construct found in a Jinja template. */
typedef struct bw_jinja_hit {
    const char *what; /**< static: the construct, e.g. "__globals__", "lipsum", "|attr with a computed name" */
    size_t at;        /**< byte index in the template where the match starts (approximate after unescaping) */
    char excerpt[96]; /**< escaped text around the match, for evidence */
} bw_jinja_hit;

/**
 * Look for sandbox escapes in a Jinja template: dunder attributes
 * (__globals__, __class__, ...), Python modules and calls (os., popen,
 * subprocess, eval(, exec(), the Jinja globals used to reach them (lipsum,
 * cycler, joiner), Flask/Jinja internals (request.application,
 * _TemplateReference__context) and |attr with a computed name. Escapes
 * (\x5f, \u005f, \137) are decoded and string concatenation ('__cla' ~
 * 'ss__', '_' * 2) is undone before matching, case-insensitively.
 * @return 1 and fills *hit (may be NULL) at the first hit, 0 if clean, -1 if
 *         out of memory (the caller treats it as an error)
 */
BW_API int bw_jinja_suspicious(const char *tmpl, size_t n, bw_jinja_hit *hit);

#ifdef __cplusplus
}
#endif
#endif
