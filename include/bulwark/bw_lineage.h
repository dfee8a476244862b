/*
 * bw_lineage.h - the lineage graph of a ledger: which stage runs made an
 * artifact from which inputs (upstream), and what was made from it
 * (downstream), with the gate decisions and approvals recorded about each.
 *
 * Nodes are artifacts and stage runs. An artifact is a digest: the ledger's
 * artifact entries and the inputs and outputs of its stage_run entries name
 * content by digest set ({"sha256": hex, "md5": hex, ...}); every
 * "alg:hex" of a set maps to one node, keyed by its SHA-256 when known
 * ("sha256:hex"), else by the set's first algorithm ("md5:hex", as DVC
 * imports carry). One digest may go by several names (a node keeps the
 * first BW_LINEAGE_MAX_NAMES distinct ones). Edges run input -> run ->
 * output. Gate entries attach to the artifact their "subject" names;
 * approvals to the artifact, run or gate their "target" names (an entry
 * index or a digest).
 *
 * The graph is built in one pass over the ledger (bw_ledger_each) and kept
 * in compact arrays (edges in CSR form); queries walk it with a visited set,
 * so cycles (a run that reads and writes the same content) and diamonds
 * cost each node once. Names and other text come from the ledger and are
 * untrusted: every writer escapes them for its format.
 *
 * A bw_lineage is used by one thread at a time.
 */
#ifndef BULWARK_BW_LINEAGE_H
#define BULWARK_BW_LINEAGE_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_ledger.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Distinct names a node keeps (more are counted, not kept). */
#define BW_LINEAGE_MAX_NAMES 16
/** Longest name or other text kept, in bytes (longer ones are cut at a UTF-8 boundary). */
#define BW_LINEAGE_MAX_TEXT 4096
/** The depth that means "no limit". */
#define BW_LINEAGE_DEPTH_ALL UINT32_MAX

typedef struct bw_lineage bw_lineage;

/** An empty graph. Free with bw_lineage_free. */
BW_API bw_status bw_lineage_new(bw_lineage **out, bw_error *err) BW_NODISCARD;
BW_API void bw_lineage_free(bw_lineage *g); /**< NULL is a no-op */

/**
 * Add one ledger entry (its canonical JSON body, as bw_ledger_each hands it) at `index`. Entries
 * must come in increasing index order. Kinds other than artifact, stage_run, gate and approval
 * are ignored, and so are members of the wrong type (the entry model is checked at append; this
 * reader only takes what it understands): such an entry is counted in bw_lineage_stats' skipped.
 * @return BW_OK, BW_EINVAL (index not increasing), BW_ELIMIT (over 2^31 nodes or edges), BW_ENOMEM
 */
BW_API bw_status bw_lineage_add(bw_lineage *g, uint64_t index, const void *body, size_t n, bw_error *err) BW_NODISCARD;

/** Build the graph of a whole ledger in one pass (bw_ledger_each from entry 0). */
BW_API bw_status bw_lineage_build(bw_lineage **out, bw_ledger *l, bw_error *err) BW_NODISCARD;

typedef struct bw_lineage_stats {
    size_t artifacts; /**< artifact nodes */
    size_t runs;      /**< stage-run nodes */
    size_t edges;     /**< input and output edges (distinct) */
    size_t gates;     /**< gate entries with a subject */
    size_t approvals;
    size_t skipped; /**< entries of a known kind that could not be read */
} bw_lineage_stats;

BW_API void bw_lineage_stats_get(bw_lineage *g, bw_lineage_stats *out);

/**
 * The artifact node of a digest "alg:hex" (any algorithm of a node's digest sets; hex in either
 * case). *out receives the node id. @return BW_OK or BW_ENOTFOUND
 */
BW_API bw_status bw_lineage_find_digest(bw_lineage *g, const char *digest, uint32_t *out) BW_NODISCARD;

/**
 * The artifact nodes with a digest starting with `prefix` ("alg:" and at least one hex digit; hex in
 * either case), as `git` resolves abbreviated object names: up to `cap` distinct ids into ids[] in node
 * order, the total count of distinct nodes into *n (which may exceed cap).
 */
BW_API void bw_lineage_find_digest_prefix(bw_lineage *g, const char *prefix, uint32_t *ids, size_t cap, size_t *n);

/**
 * The artifact nodes one of whose names is exactly `name`, in node order: up to `cap` ids into
 * ids[], the total count into *n (which may exceed cap).
 */
BW_API void bw_lineage_find_name(bw_lineage *g, const char *name, uint32_t *ids, size_t cap, size_t *n);

/** The node's key ("sha256:hex"), borrowed until bw_lineage_free; NULL for a bad id. */
BW_API const char *bw_lineage_key(bw_lineage *g, uint32_t id);

/**
 * The ledger entry indexes of the stage runs that output artifact `id`, in ledger order: up to
 * `cap` into entries[], the total into *n.
 */
BW_API void bw_lineage_producers(bw_lineage *g, uint32_t id, uint64_t *entries, size_t cap, size_t *n);

/** Whether a stage run with this stage and run id is in the graph (its entry index into *entry). */
BW_API bw_status bw_lineage_find_run(bw_lineage *g, const char *stage, const char *run_id,
                                     uint64_t *entry) BW_NODISCARD;

typedef enum bw_lineage_dir {
    BW_LINEAGE_UPSTREAM = 1,   /**< what made it, from what, recursively */
    BW_LINEAGE_DOWNSTREAM = 2, /**< what was made from it, recursively */
    BW_LINEAGE_BOTH = 3,
} bw_lineage_dir;

typedef enum bw_lineage_format {
    BW_LINEAGE_TEXT = 0,    /**< a tree, like `cargo tree` (control characters escaped) */
    BW_LINEAGE_JSON = 1,    /**< {"roots", "nodes", "edges"} in a stable order */
    BW_LINEAGE_DOT = 2,     /**< Graphviz digraph */
    BW_LINEAGE_MERMAID = 3, /**< Mermaid flowchart */
} bw_lineage_format;

typedef struct bw_lineage_query {
    int version;           /**< BW_LINEAGE_QUERY_VERSION */
    const uint32_t *roots; /**< artifact node ids to start from */
    size_t n_roots;
    bw_lineage_dir dir;
    uint32_t depth; /**< stage-run hops from a root; 0: the roots alone; BW_LINEAGE_DEPTH_ALL: no limit */
    bw_lineage_format format;
} bw_lineage_query;

#define BW_LINEAGE_QUERY_VERSION 1
#define BW_LINEAGE_QUERY_INIT                                                                                          \
    {                                                                                                                  \
        BW_LINEAGE_QUERY_VERSION, NULL, 0, BW_LINEAGE_BOTH, BW_LINEAGE_DEPTH_ALL, BW_LINEAGE_TEXT                      \
    }

/**
 * Write the part of the graph reached from the roots, in the query's direction and depth, in the
 * query's format, appended to out. Text: one tree per root and direction, each node once (a node
 * seen before is marked "(*)" and not expanded again). JSON, DOT, Mermaid: the nodes and edges
 * reached, artifacts in key order, runs in ledger order, edges sorted.
 * @return BW_OK; BW_EINVAL (no roots, a bad id or format); BW_ENOMEM, BW_ELIMIT (out's cap)
 */
BW_API bw_status bw_lineage_write(bw_lineage *g, const bw_lineage_query *q, bw_buf *out, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
