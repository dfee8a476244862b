/*
 * notebook.h - Jupyter notebooks (.ipynb, nbformat 4 and 3) as a sequence of
 * text segments, for the secrets scanner (internal).
 *
 * A notebook is JSON: cells with source code, and the outputs of running
 * them (printed text, rich results by MIME type, error tracebacks), plus
 * metadata (kernel, widget state). Secrets leak into all of them. The reader
 * hands each piece of text to a visitor with its location: the cell index,
 * the output index and which part of the cell it is. Line numbers are not
 * given; the scanner counts lines inside `text`, the cell is the location.
 *
 * Limits: documents over BW_NB_MAX_BYTES and nesting deeper than jansson's
 * parser allows (JSON_PARSER_MAX_DEPTH, 2048) are BW_ELIMIT.
 */
#ifndef BULWARK_FORMATS_NOTEBOOK_H
#define BULWARK_FORMATS_NOTEBOOK_H

#include "util/internal.h"

/* The largest notebook read (1 GiB). */
#define BW_NB_MAX_BYTES ((size_t)1 << 30)

/* bw_nb_segment.output for text that does not come from an output. */
#define BW_NB_NO_OUTPUT UINT32_MAX

typedef enum bw_nb_part {
    BW_NB_SOURCE,   /* a cell's source (nbformat 3 code cells: "input") */
    BW_NB_STREAM,   /* a stream output's "text" (stdout, stderr) */
    BW_NB_TEXT,     /* rich output or attachment data by MIME type: text/..., application/json, image/svg+xml, ... */
    BW_NB_ERROR,    /* an error output's "ename", "evalue" or "traceback" */
    BW_NB_METADATA, /* notebook, cell or output metadata as compact JSON text (widget state, ...) */
} bw_nb_part;

typedef struct bw_nb_segment {
    int32_t cell;      /* 0-based cell index (across nbformat 3 worksheets), -1 for notebook metadata */
    bw_nb_part part;   /* what the text is */
    uint32_t output;   /* output index within the cell, or BW_NB_NO_OUTPUT */
    const char *field; /* the JSON member the text came from: "source", "input", "text", "data", "attachments",
                           "ename", "evalue", "traceback", "metadata", or an nbformat 3 key such as "html" */
    const char *mime;  /* the MIME type for BW_NB_TEXT ("text/plain"), else NULL */
    const char *text;  /* decoded text (JSON escapes undone), NUL-terminated; may hold NUL bytes */
    size_t len;        /* bytes in text, never 0 (empty texts are not visited) */
    uint64_t offset;   /* byte offset in the input of the JSON value the text came from, or BW_NO_OFFSET */
} bw_nb_segment;

/*
 * Called once per segment. `seg` and the text it points to are borrowed and
 * valid only during the call. Any status other than BW_OK stops the walk and
 * is returned by bw_nb_each unchanged.
 */
typedef bw_status (*bw_nb_visit)(void *ctx, const bw_nb_segment *seg);

/*
 * True when p[0..n) looks like a notebook: a JSON object (after an optional
 * UTF-8 byte order mark and white space) with an "nbformat" key near its
 * start or end and a "cells" (nbformat 4) or "worksheets" (nbformat 3) key.
 * A heuristic for dispatch; bw_nb_each decides.
 */
BW_INTERNAL bool bw_nb_sniff(const void *p, size_t n);

/*
 * Parse the notebook p[0..n) and visit every non-empty text segment: cells
 * in order, and within a cell its source, attachments, outputs in order
 * (for each: text, data by MIME type in document order, ename, evalue,
 * traceback, output metadata) and the cell metadata; notebook metadata
 * (cell -1) comes before or after the cells, where the document has it.
 *
 * Lists of strings are concatenated as nbformat does ("source": ["a\n", "b"]
 * is "a\nb"); a traceback's lines are joined with '\n'. Binary data (image/... except
 * image/svg+xml, audio/..., video/..., font/..., application/pdf,
 * application/octet-stream) is skipped; JSON-valued data
 * (application/json, ...+json) and metadata are serialised back to compact
 * JSON. Empty metadata ({}) is not visited. Cells or outputs of an
 * unexpected type or shape are skipped, never an error.
 *
 * @return BW_OK; BW_EFORMAT for malformed JSON (the message gives line,
 *         column and byte offset, err->offset the byte offset), a top level
 *         that is not an object, or "cells"/"worksheets" missing or not
 *         arrays; BW_ELIMIT over the limits above; BW_ENOMEM; or the first
 *         status other than BW_OK that `visit` returned (err untouched).
 * The input is borrowed for the call. Thread-safe for distinct inputs.
 */
BW_INTERNAL bw_status bw_nb_each(const void *p, size_t n, bw_nb_visit visit, void *ctx, bw_error *err) BW_NODISCARD;

#endif
