/*
 * bw_ledger.h - the tamper-evident ledger: an append-only RFC 9162 Merkle
 * log of JSON entries (artifacts, stage runs, gate decisions, approvals and
 * key events) with signed tree heads, stored in SQLite (a file) or in
 * PostgreSQL (a `postgres://` or `postgresql://` URL, for a team).
 *
 * An entry is stored as canonical JSON (sorted keys, no whitespace, integers
 * only; see bw_ledger_entry_canonical) and is leaf SHA-256(0x00 || bytes) of
 * the tree. Entries are appended in batches, one store transaction each.
 * Every batch may be signed by its actor's key (bw_key: ECDSA or Ed25519)
 * over the statement
 *     "bulwark-ledger-batch/v1\n" origin "\n" first "\n" size "\n" base64(root) "\n"
 * and is followed by a C2SP tlog checkpoint signed with the log's own
 * Ed25519 note key (bw_note). Keys that sign batches are registered by
 * entries of kind "key" (event "added"/"revoked").
 *
 * A bw_ledger handle is used by one thread at a time. Several processes may
 * append to one ledger: appends serialise on the store's write lock (on
 * PostgreSQL across machines too).
 */
#ifndef BULWARK_BW_LEDGER_H
#define BULWARK_BW_LEDGER_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_key.h"
#include "bw_merkle.h"
#include "bw_note.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest stored entry (canonical JSON bytes). */
#define BW_LEDGER_MAX_ENTRY ((size_t)1 << 20)
/** Most entries in one append batch. */
#define BW_LEDGER_MAX_BATCH 100000
/** Longest origin (the checkpoints' first line). */
#define BW_LEDGER_MAX_ORIGIN 200

typedef struct bw_ledger bw_ledger;

typedef struct bw_ledger_opts {
    int version;         /**< BW_LEDGER_OPTS_VERSION */
    bool create;         /**< make the ledger when it does not exist (else BW_ENOTFOUND) */
    const char *origin;  /**< the log's origin when creating; NULL: "bulwark.ledger/<random hex>" */
    int busy_timeout_ms; /**< how long an append waits for another writer */
    unsigned page_size;  /**< the store's page size when creating (0: its default) */
} bw_ledger_opts;

#define BW_LEDGER_OPTS_VERSION 1
#define BW_LEDGER_OPTS_INIT                                                                                            \
    {                                                                                                                  \
        BW_LEDGER_OPTS_VERSION, false, NULL, 30000, 0                                                                  \
    }

/**
 * Open the ledger at `target`: a URL starting with `postgres://` or `postgresql://` is a
 * PostgreSQL ledger (libpq's URL syntax and environment, PGPASSWORD and ~/.pgpass included; the
 * tables live in the connection's current schema, which with `create` must hold nothing else;
 * a write transaction waits busy_timeout_ms for another writer's lock); anything else is the
 * path of a SQLite file (WAL mode). Both stores keep the same logical schema and behave alike.
 * Messages never show a URL's password (see bw_ledger_target_display).
 * @param out   receives the handle; free it with bw_ledger_close()
 * @param opts  NULL for defaults (no create)
 * @return BW_OK, BW_ENOTFOUND (no ledger and not creating), BW_EFORMAT (not a ledger, or corrupt),
 *         BW_EUNSUPPORTED (a newer format), BW_EINVAL (a malformed URL; a schema holding other
 *         tables when creating), BW_EIO (cannot connect, locked), BW_ENOMEM
 */
BW_API bw_status bw_ledger_open(bw_ledger **out, const char *target, const bw_ledger_opts *opts,
                                bw_error *err) BW_NODISCARD;

/**
 * A ledger target as it may be printed, appended to out: a URL's password (`user:***@`, and the
 * values of `password=` and `sslpassword=` parameters) replaced by `***`; a path as it is.
 */
BW_API bw_status bw_ledger_target_display(const char *target, bw_buf *out) BW_NODISCARD;
BW_API void bw_ledger_close(bw_ledger *l); /**< NULL is a no-op */

/** The log's origin (borrowed, valid until bw_ledger_close). */
BW_API const char *bw_ledger_origin(const bw_ledger *l);

/**
 * Canonical form of an entry: parse JSON (duplicate keys, real numbers and
 * nesting over 32 levels refused), check it against the entry model (kind,
 * time, actor and the kind's fields) and append the canonical bytes to out.
 * @return BW_OK, BW_EFORMAT (not JSON or not a valid entry; the message says which field), BW_ELIMIT, BW_ENOMEM
 */
BW_API bw_status bw_ledger_entry_canonical(const char *json, size_t n, bw_buf *out, bw_error *err) BW_NODISCARD;

/**
 * Check stored entry bytes without allocating: a JSON object in canonical
 * form (what bw_ledger_entry_canonical writes) whose top-level "kind" is a
 * string; its value is copied to kind[16] (truncated names are refused).
 * @return BW_OK or BW_EFORMAT naming the byte offset
 */
BW_API bw_status bw_ledger_entry_check(const void *bytes, size_t n, char kind[16], bw_error *err) BW_NODISCARD;

/**
 * For callers that build entries from options: parse the JSON object, add "time" and "actor"
 * when it lacks them (NULL: do not add), and append its canonical bytes to out (the entry model
 * is checked at append). BW_EFORMAT when json is not an object.
 */
BW_API bw_status bw_ledger_entry_fill(const char *json, size_t n, const char *time, const char *actor, bw_buf *out,
                                      bw_error *err) BW_NODISCARD;

/**
 * A one-line summary of a stored entry for listings, appended to out:
 * "TIME  KIND  ACTOR  what" (what: an artifact's name and digest, a run's stage and exit status,
 * a gate's check and verdict, an approval's decision and target, a key event and name).
 */
BW_API bw_status bw_ledger_entry_summary(const void *body, size_t n, bw_buf *out) BW_NODISCARD;

/** The result of an append. */
typedef struct bw_ledger_head {
    uint64_t size;  /**< tree size after the batch */
    uint64_t first; /**< index of the batch's first entry */
    uint64_t batch; /**< the batch's number (1, 2, ...) */
    bw_mhash root;  /**< tree root at `size` */
} bw_ledger_head;

/**
 * Append entries as one batch, in one transaction: all of them or none.
 * @param entries  JSON bodies, canonicalised here (each must pass bw_ledger_entry_canonical)
 * @param actor    the key that signs the batch's tree head, or NULL for an unsigned batch; its key
 *                 must be registered (a "key" entry with event "added") earlier or in this batch
 * @param note     the log's checkpoint signer, or NULL for no checkpoint; a ledger keeps the
 *                 note key of its first checkpoint and refuses others
 * @param out      the new head (may be NULL)
 * @return BW_OK, BW_EFORMAT (an entry), BW_EINVAL (empty batch, wrong note key, a key entry whose
 *         key_hint does not match its public_key), BW_ENOTFOUND (actor key not registered, or revoked),
 *         BW_EIO (store, including a writer lock not released within busy_timeout_ms), BW_ENOMEM
 */
BW_API bw_status bw_ledger_append_batch(bw_ledger *l, const bw_bytes *entries, size_t n, const bw_key *actor,
                                        const bw_note_signer *note, bw_ledger_head *out, bw_error *err) BW_NODISCARD;
/** One entry as a batch of one. */
BW_API bw_status bw_ledger_append(bw_ledger *l, const char *json, size_t n, const bw_key *actor,
                                  const bw_note_signer *note, bw_ledger_head *out, bw_error *err) BW_NODISCARD;

/** The current head (size 0 and the empty tree's root for a new ledger; batch 0). */
BW_API bw_status bw_ledger_current(bw_ledger *l, bw_ledger_head *out, bw_error *err) BW_NODISCARD;

/**
 * Whether the key with this hint (hex SHA-256 of its PEM) is registered: 1 registered, 0 never
 * registered, -1 revoked, into *state.
 */
BW_API bw_status bw_ledger_key_state(bw_ledger *l, const char *hint, int *state, bw_error *err) BW_NODISCARD;

/**
 * A "key" entry (event "added") registering k's public key under `name`, appended to out as JSON
 * (not canonical; pass it to bw_ledger_append_batch).
 */
BW_API bw_status bw_ledger_key_entry(const bw_key *k, const char *name, const char *actor, const char *time,
                                     bw_buf *out, bw_error *err) BW_NODISCARD;

/** One stored entry, as handed to bw_ledger_each and bw_ledger_get. */
typedef struct bw_ledger_entry {
    uint64_t index;
    uint64_t batch;
    char kind[16];
    bw_mhash leaf;
    bw_bytes body;   /**< canonical JSON, borrowed for the call (each) or until the next call (get) */
    char signer[65]; /**< the batch's key hint, "" when the batch is unsigned */
} bw_ledger_entry;

/** Entry `index`; its body is kept in `buf` (appended to, after a reset). BW_ENOTFOUND past the end. */
BW_API bw_status bw_ledger_get(bw_ledger *l, uint64_t index, bw_buf *buf, bw_ledger_entry *out,
                               bw_error *err) BW_NODISCARD;

/** Called per entry in index order; return non-zero to stop (bw_ledger_each then returns BW_ECANCELED). */
typedef int (*bw_ledger_each_fn)(void *ud, const bw_ledger_entry *e);
/** Entries from index `from` on, in one read snapshot; the signer field is left empty. */
BW_API bw_status bw_ledger_each(bw_ledger *l, uint64_t from, bw_ledger_each_fn fn, void *ud,
                                bw_error *err) BW_NODISCARD;

/**
 * The inclusion proof of entry `index` in the tree of `size` entries (0: the current size), from
 * stored subtrees in O(log n) lookups. *leaf, *root and proof[*len] receive the leaf hash, the
 * root at that size and the audit path. BW_EINVAL unless index < size <= current size.
 */
BW_API bw_status bw_ledger_inclusion(bw_ledger *l, uint64_t index, uint64_t size, bw_mhash *leaf, bw_mhash *root,
                                     bw_mhash proof[BW_MERKLE_MAX_PROOF], size_t *len, bw_error *err) BW_NODISCARD;
/** The consistency proof from size `old` to `size` (0: current): roots of both and the proof. */
BW_API bw_status bw_ledger_consistency(bw_ledger *l, uint64_t old, uint64_t size, bw_mhash *old_root, bw_mhash *root,
                                       bw_mhash proof[BW_MERKLE_MAX_PROOF], size_t *len, bw_error *err) BW_NODISCARD;

/** The latest signed checkpoint note, appended to out. BW_ENOTFOUND when none was made. */
BW_API bw_status bw_ledger_checkpoint(bw_ledger *l, bw_buf *out, bw_error *err) BW_NODISCARD;
/** The verifier key text ("name+id+base64") of the log's checkpoints, appended. BW_ENOTFOUND when none. */
BW_API bw_status bw_ledger_note_key(bw_ledger *l, bw_buf *out, bw_error *err) BW_NODISCARD;

typedef struct bw_ledger_verify_opts {
    int version;                       /**< BW_LEDGER_VERIFY_OPTS_VERSION */
    const bw_note_verifier *note_keys; /**< the log's checkpoint key(s) the caller trusts; none: the one
                                               the ledger records (which proves integrity, not authenticity) */
    size_t n_note_keys;
    const bw_key *const *trusted; /**< actor keys trusted from outside, besides registered ones */
    size_t n_trusted;
    const char *since; /**< a client's old checkpoint note: prove the log only grew */
    size_t since_len;
    bool require_signed; /**< an unsigned batch is a failure, not a warning */
} bw_ledger_verify_opts;

#define BW_LEDGER_VERIFY_OPTS_VERSION 1
#define BW_LEDGER_VERIFY_OPTS_INIT                                                                                     \
    {                                                                                                                  \
        BW_LEDGER_VERIFY_OPTS_VERSION, NULL, 0, NULL, 0, NULL, 0, false                                                \
    }

/** What bw_ledger_verify checked. */
typedef struct bw_ledger_report {
    uint64_t entries;
    uint64_t batches;
    uint64_t signed_batches;
    uint64_t unsigned_batches;
    uint64_t checkpoints;
    uint64_t keys;      /**< registered keys (revoked ones included) */
    bw_mhash root;      /**< recomputed root of the whole log */
    bool since_checked; /**< the --since checkpoint was proven consistent */
    uint64_t since_size;
    bool own_note_key; /**< checkpoints checked only with the key the ledger records */
} bw_ledger_report;

/**
 * Recompute every leaf and node from the stored entries and check every stored node, tree head,
 * batch signature, checkpoint and key registration; with opts->since, prove the old checkpoint's
 * tree is a prefix of this one (a different root at that size is a fork).
 * @return BW_OK; BW_EVERIFY when anything stored disagrees (err names the first problem);
 *         BW_EFORMAT when the store itself is corrupt or opts->since is malformed; BW_EIO, BW_ENOMEM
 */
BW_API bw_status bw_ledger_verify(bw_ledger *l, const bw_ledger_verify_opts *opts, bw_ledger_report *rep,
                                  bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
