/*
 * bw_safetensors.h - an exact validator of safetensors files.
 *
 * Layout: an unsigned 64-bit little-endian header length N, N bytes of JSON
 * (an object, optionally padded at the end with spaces), then the byte
 * buffer. The header maps each tensor name to {"dtype", "shape",
 * "data_offsets": [begin, end]}, offsets relative to the start of the byte
 * buffer; an optional "__metadata__" maps strings to strings.
 *
 * bw_safetensors_parse accepts a file only if every rule holds: N within the
 * cap and the file, the header valid UTF-8 JSON with no duplicate keys, every
 * dtype known, every shape a list of non-negative integers whose product
 * (times the dtype size) does not overflow and equals end - begin, and the
 * tensors, sorted by offset, tile the byte buffer exactly (no gap, no
 * overlap, nothing after the last). Anything else is BW_EFORMAT (or
 * BW_ELIMIT for a cap) with the byte offset of the problem in the file.
 * Nothing is allocated from the tensor bytes; only the header is parsed.
 */
#ifndef BULWARK_BW_SAFETENSORS_H
#define BULWARK_BW_SAFETENSORS_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest header accepted (the reference implementation uses 100 MB). */
#define BW_ST_MAX_HEADER (100u * 1000u * 1000u)
/** Most tensors in one file. */
#define BW_ST_MAX_TENSORS (1u << 20)
/** Most dimensions of one tensor. */
#define BW_ST_MAX_DIMS 64

typedef struct bw_st_tensor {
    char *name;          /**< NUL-terminated UTF-8 (owned by the file) */
    const char *dtype;   /**< static: "F32", "BF16", ... */
    unsigned dtype_size; /**< bytes per element */
    uint32_t n_dims;
    uint64_t numel; /**< product of the shape (1 for a scalar) */
    uint64_t begin; /**< offsets in the byte buffer */
    uint64_t end;
} bw_st_tensor;

typedef struct bw_st_file {
    uint64_t header_len;   /**< N */
    uint64_t data_start;   /**< 8 + N: where the byte buffer starts in the file */
    uint64_t data_len;     /**< bytes in the byte buffer */
    bw_st_tensor *tensors; /**< sorted by begin */
    size_t n_tensors;
    size_t n_metadata; /**< entries of "__metadata__" */
} bw_st_file;

/** Look up a dtype name; returns its element size, 0 if unknown. */
BW_API unsigned bw_safetensors_dtype_size(const char *dtype, size_t n);

/**
 * Validate `n` bytes at `p` (a whole file). `name` (borrowed) prefixes error
 * messages. On success fills *out (release with bw_safetensors_release).
 * @return BW_OK, BW_EFORMAT or BW_ELIMIT (the file is malformed), BW_ENOMEM
 */
BW_API bw_status bw_safetensors_parse(const void *p, size_t n, const char *name, bw_st_file *out,
                                      bw_error *err) BW_NODISCARD;
/** Free what a successful parse allocated; the struct may be zeroed or parsed. */
BW_API void bw_safetensors_release(bw_st_file *f);

#ifdef __cplusplus
}
#endif
#endif
