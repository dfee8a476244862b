/*
 * bw_npy.h - a safe reader of NumPy .npy headers.
 *
 * Layout: "\x93NUMPY", major and minor version bytes (1.0, 2.0 or 3.0), the
 * header length (u16le in 1.0, u32le in 2.0 and 3.0), then the header: a
 * Python dict literal {'descr': ..., 'fortran_order': bool, 'shape': (..)}
 * padded with spaces and ended by '\n'. The data follows.
 *
 * The header is parsed by a small grammar for exactly those literals
 * (strings, integers, True/False, tuples, lists), never evaluated. `descr`
 * is a dtype string ('<f8', '|u1', '<U10', '|O', '<M8[ns]') or a list of
 * fields (name, dtype[, shape]) that may nest. A dtype that contains an
 * object ('O') anywhere means the data is a pickle stream, which numpy only
 * loads with allow_pickle=True; its size cannot be checked here.
 */
#ifndef BULWARK_BW_NPY_H
#define BULWARK_BW_NPY_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BW_NPY_MAX_DIMS 64
#define BW_NPY_MAX_DEPTH 16
#define BW_NPY_MAX_FIELDS 4096

typedef struct bw_npy_info {
    uint8_t major, minor;
    uint64_t header_len;  /**< bytes of the dict literal (with padding) */
    uint64_t data_offset; /**< where the data starts */
    uint64_t data_len;    /**< bytes from data_offset to the end */
    int fortran_order;
    uint32_t n_dims;
    uint64_t shape[BW_NPY_MAX_DIMS];
    uint64_t numel;        /**< product of the shape (1 for a scalar) */
    uint64_t itemsize;     /**< bytes per element (for object arrays, the pointer size 8) */
    int structured;        /**< descr is a list of fields */
    int has_object;        /**< an 'O' somewhere in descr: the data is a pickle */
    uint64_t expected_len; /**< numel * itemsize (meaningless when has_object) */
    char descr[48];        /**< the descr string, escaped, or "[structured]" */
} bw_npy_info;

/**
 * Parse the header of the .npy file in `n` bytes at `p`. The data length is
 * not checked against the shape (the caller compares data_len with
 * expected_len). `name` (borrowed) prefixes error messages.
 * @return BW_OK, BW_EFORMAT / BW_ELIMIT / BW_EUNSUPPORTED (malformed)
 */
BW_API bw_status bw_npy_parse(const void *p, size_t n, const char *name, bw_npy_info *out, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
