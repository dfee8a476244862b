/*
 * thrift.h - a reader of the Thrift compact protocol over bw_rd (internal).
 *
 * Parquet's footer (FileMetaData) and page headers are Thrift structs in the
 * compact protocol (thrift/doc/specs/thrift-compact-protocol.md):
 *   - a struct is a sequence of fields ended by a 0 byte. A field header is
 *     one byte `ddddtttt` (delta to the previous field id, 1..15, and the
 *     type), or `0000tttt` followed by the id as a zigzag varint i16;
 *   - bool fields carry their value in the type (1 true, 2 false); bool
 *     elements of a list are one byte (1 true, 0 or 2 false);
 *   - i8 is one byte, i16/i32/i64 zigzag varints, double 8 bytes little
 *     endian, binary and string a varint length and the bytes, uuid 16 bytes;
 *   - a list or set header is `sssstttt` (size 0..14 and element type) or
 *     `1111tttt` followed by a varint size; a map is a varint size and, when
 *     not empty, a byte of key and value types.
 *
 * The reader checks every length and count against the bytes left before
 * anything is allocated or looped over (a list of N elements needs at least
 * N bytes, N * 8 for doubles, N * 16 for uuids), refuses a field id given
 * twice in one struct (Thrift would keep the last, another reader might keep
 * the first), and caps the nesting of structs and containers at
 * BW_THRIFT_MAX_DEPTH. A failure is recorded once, with the absolute offset,
 * and poisons the reader.
 */
#ifndef BULWARK_FORMATS_PARQUET_THRIFT_H
#define BULWARK_FORMATS_PARQUET_THRIFT_H

#include "util/internal.h"

/* Structs and containers open at once; real Parquet metadata nests 6 deep. */
#define BW_THRIFT_MAX_DEPTH 32

/* Field and element types of the compact protocol. */
typedef enum bw_thrift_type {
    BW_THRIFT_STOP = 0,
    BW_THRIFT_TRUE = 1,  /* a bool field that is true; as an element type: bool */
    BW_THRIFT_FALSE = 2, /* a bool field that is false; as an element type: bool */
    BW_THRIFT_I8 = 3,
    BW_THRIFT_I16 = 4,
    BW_THRIFT_I32 = 5,
    BW_THRIFT_I64 = 6,
    BW_THRIFT_DOUBLE = 7,
    BW_THRIFT_BINARY = 8,
    BW_THRIFT_LIST = 9,
    BW_THRIFT_SET = 10,
    BW_THRIFT_MAP = 11,
    BW_THRIFT_STRUCT = 12,
    BW_THRIFT_UUID = 13,
} bw_thrift_type;

typedef struct bw_thrift {
    bw_rd rd;       /* the bytes; every failure is recorded here */
    unsigned depth; /* structs and containers open */
} bw_thrift;

/* One struct being read: the state its field headers need. */
typedef struct bw_thrift_struct {
    int16_t last;     /* id of the previous field, for the delta form */
    uint64_t seen;    /* ids 0..63 already read: a repeat is refused */
    uint64_t offset;  /* absolute offset of the struct's first byte */
    const char *what; /* the struct's name in parquet.thrift, for messages */
} bw_thrift_struct;

typedef struct bw_thrift_field {
    int16_t id;
    uint8_t type;    /* bw_thrift_type; BW_THRIFT_STOP at the end of the struct */
    uint64_t offset; /* absolute offset of the field header */
} bw_thrift_field;

/* Read `n` bytes at `p`, whose first byte is at `origin` in the input called `name`. */
BW_INTERNAL void bw_thrift_init(bw_thrift *t, const void *p, size_t n, uint64_t origin, const char *name,
                                bw_error *err);

/* Record a failure at absolute offset `off` (not the reader's position) and poison the reader. */
BW_INTERNAL bw_status bw_thrift_fail_at(bw_thrift *t, uint64_t off, bw_status code, const char *fmt, ...)
    BW_PRINTF(4, 5);

/* Enter a struct (depth + 1; BW_ELIMIT past BW_THRIFT_MAX_DEPTH). `what` is a static name. */
BW_INTERNAL bw_status bw_thrift_struct_begin(bw_thrift *t, bw_thrift_struct *s, const char *what) BW_NODISCARD;
/* The next field header; f->type is BW_THRIFT_STOP after the last field. */
BW_INTERNAL bw_status bw_thrift_field_next(bw_thrift *t, bw_thrift_struct *s, bw_thrift_field *f) BW_NODISCARD;
/* Leave a struct entered with bw_thrift_struct_begin, once its STOP was read. */
BW_INTERNAL void bw_thrift_struct_end(bw_thrift *t);

/* An integer value of type I8, I16, I32 or I64, checked against the type's range. */
BW_INTERNAL bw_status bw_thrift_int(bw_thrift *t, uint8_t type, int64_t *v) BW_NODISCARD;
/* A bool element of a list, set or map (one byte). */
BW_INTERNAL bw_status bw_thrift_bool_elem(bw_thrift *t, int *v) BW_NODISCARD;
BW_INTERNAL bw_status bw_thrift_double(bw_thrift *t, double *v) BW_NODISCARD;
/* A binary or string value: a view into the input, checked to lie inside it. */
BW_INTERNAL bw_status bw_thrift_binary(bw_thrift *t, bw_bytes *out) BW_NODISCARD;

/*
 * A list or set header. `min_elem` is the fewest bytes one element of the
 * caller's kind can take (at least the type's own minimum); a count that
 * cannot fit in the bytes left is BW_EFORMAT. Depth + 1 until
 * bw_thrift_list_end.
 */
BW_INTERNAL bw_status bw_thrift_list_begin(bw_thrift *t, uint8_t *elem, uint32_t *count, size_t min_elem) BW_NODISCARD;
BW_INTERNAL void bw_thrift_list_end(bw_thrift *t);

/* Skip one element of `type` (a bool element is one byte), nested values included. */
BW_INTERNAL bw_status bw_thrift_skip(bw_thrift *t, uint8_t type) BW_NODISCARD;
/* Skip the value of field `f` (a bool field has none), nested values included. */
BW_INTERNAL bw_status bw_thrift_skip_field(bw_thrift *t, const bw_thrift_field *f) BW_NODISCARD;

/* The type's name for messages ("i32", "struct"). */
BW_INTERNAL const char *bw_thrift_type_name(uint8_t type);

#endif
