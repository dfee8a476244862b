/*
 * bw_export.h - stage-run records and the provenance formats other tools
 * read: SLSA Provenance v1 (an in-toto Statement v1, DSSE-signed), an
 * OpenLineage RunEvent, in-toto 1.x link and layout metadata (what
 * Debian's in-toto-verify checks), and DVC dvc.lock files read as stage
 * runs. docs/provenance.md describes every field of every output.
 *
 * A stage run is the ledger's "stage_run" entry (docs/provenance.md, the
 * entry model): inputs and outputs by name, digest set and size, the
 * command's argv, the code commit, a parameters digest, the environment
 * (never secret values), the actor, start and end times, the exit status.
 *
 * Digest sets are in-toto ResourceDescriptor digests: algorithm name ->
 * lower-case hex ({"sha256": "..."}). Runs imported from DVC carry DVC's
 * MD5 as {"md5": "..."}.
 *
 * Every function here may be called from several threads at once on
 * different outputs; a bw_stage_run is read-only to the exporters.
 */
#ifndef BULWARK_BW_EXPORT_H
#define BULWARK_BW_EXPORT_H

#include "bw_buf.h"
#include "bw_common.h"
#include "bw_key.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BW_PROV_MAX_DIGESTS 4 /**< algorithms in one digest set */
#define BW_PROV_ALG_MAX 32    /**< bytes of an algorithm name, NUL included */
#define BW_PROV_HEX_MAX 129   /**< bytes of a hex value (up to 512 bits), NUL included */
#define BW_PROV_SIZE_UNKNOWN UINT64_MAX

/** Limits of the stage-run parser (BW_ELIMIT past them). */
#define BW_STAGE_RUN_MAX_JSON ((size_t)16 << 20)
#define BW_STAGE_RUN_MAX_ITEMS 100000 /**< inputs, outputs, argv or environment entries */

/** The buildType of bulwark's SLSA provenance (documented at that address). */
#define BW_EXPORT_BUILD_TYPE "https://github.com/bulwark-sec/bulwark/blob/main/docs/provenance.md#stage-run-v1"
/** The default builder.id of SLSA provenance (the local bulwark runner). */
#define BW_EXPORT_BUILDER_ID "https://github.com/bulwark-sec/bulwark/blob/main/docs/provenance.md#local-runner"
/** bulwark's URI: OpenLineage producer = this + "/tree/v<version>"; the run-id UUID namespace is uuid5(URL, this). */
#define BW_EXPORT_PRODUCER "https://github.com/bulwark-sec/bulwark"
/** The schemaURL of bulwark's custom OpenLineage facets. */
#define BW_EXPORT_FACET_SCHEMA "https://github.com/bulwark-sec/bulwark/blob/main/docs/provenance.md#openlineage-facets"
/** The schemaURL of the RunEvents written (OpenLineage spec 2-0-2). */
#define BW_EXPORT_OPENLINEAGE_SCHEMA "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

/** One digest: algorithm name (e.g. "sha256", "md5", "gitCommit") and lower-case hex. */
typedef struct bw_prov_digest {
    char alg[BW_PROV_ALG_MAX];
    char hex[BW_PROV_HEX_MAX];
} bw_prov_digest;

/** A digest set, sorted by algorithm name, no repeats; n = 0 means "none" where a field may be null. */
typedef struct bw_prov_digests {
    size_t n;
    bw_prov_digest d[BW_PROV_MAX_DIGESTS];
} bw_prov_digests;

/** An input or output of a stage run. */
typedef struct bw_artifact_ref {
    char *name;             /**< path or dataset name, UTF-8 */
    bw_prov_digests digest; /**< at least one digest */
    uint64_t size;          /**< bytes; BW_PROV_SIZE_UNKNOWN when not recorded */
    uint64_t nfiles;        /**< a directory (DVC): how many files; 0 for a file */
} bw_artifact_ref;

typedef struct bw_env_var {
    char *key;
    char *value;
} bw_env_var;

/**
 * One stage run. Strings are UTF-8, owned by the record (bw_free), never
 * NULL unless the comment says so. Free with bw_stage_run_free (one
 * record from bw_stage_run_parse) or bw_stage_runs_free (an array).
 */
typedef struct bw_stage_run {
    char *stage;  /**< pipeline stage name */
    char *run_id; /**< unique id of this run (any text; a UUID when it comes from a runner) */
    bw_artifact_ref *inputs;
    size_t n_inputs;
    bw_artifact_ref *outputs;
    size_t n_outputs;
    char **command; /**< argv */
    size_t n_command;
    char *commit;                      /**< git commit (hex) or NULL */
    bw_prov_digests parameters_digest; /**< n = 0: null */
    bw_env_var *environment;           /**< sorted by key, keys unique */
    size_t n_environment;
    char *actor;     /**< user or service name */
    char *time;      /**< when the entry was made (RFC 3339 UTC), or NULL */
    char *started;   /**< RFC 3339 UTC, or NULL when unknown (a DVC import) */
    char *ended;     /**< RFC 3339 UTC, or NULL when unknown */
    int exit_status; /**< the command's exit status (0 = success) */
} bw_stage_run;

/**
 * Parse a ledger entry body of kind "stage_run" (JSON, untrusted). Strict:
 * every member of the entry model must be present with its type, no other
 * member is allowed; "commit", "parameters_digest", "time", "started" and
 * "ended" may be null, an artifact's "size" may be null (unknown) and an
 * artifact may add "nfiles". Names in inputs and in outputs are unique,
 * digests are hex of the algorithm's length (sha256: 64 digits...; unknown
 * algorithms: 8-128 hex digits), times are RFC 3339 UTC
 * ("2026-11-24T10:00:00Z", optional fraction). `name` labels messages.
 * On failure *out is NULL.
 * @return BW_OK; BW_EFORMAT with a message naming the member
 *         ("run.json: inputs[2].digest.sha256 ..."); BW_ELIMIT; BW_ENOMEM
 */
BW_API bw_status bw_stage_run_parse(const void *json, size_t n, const char *name, bw_stage_run **out,
                                    bw_error *err) BW_NODISCARD;

/**
 * Read a ledger entry of kind "stage_run" as it is stored (the entry model allows most members to
 * be absent and unknown ones to be present) for the exporters: absent members become their empty
 * values (no inputs/outputs/command, null commit, parameters_digest, started, ended and time, no
 * environment, an artifact's size null), unknown members are dropped (their count into *dropped,
 * which may be NULL), then bw_stage_run_parse checks the result. exit_status must be present.
 * @return as bw_stage_run_parse; BW_EINVAL when the entry is not a stage_run
 */
BW_API bw_status bw_stage_run_from_entry(const void *json, size_t n, const char *name, bw_stage_run **out,
                                         size_t *dropped, bw_error *err) BW_NODISCARD;

/**
 * Append the run as an entry-model JSON object (kind "stage_run", compact,
 * members in the entry model's order; NULL strings and unknown sizes as
 * null, "nfiles" only when not 0). bw_stage_run_parse reads it back equal
 * field for field, and writing that again gives the same bytes.
 */
BW_API bw_status bw_stage_run_write_json(const bw_stage_run *run, bw_buf *out) BW_NODISCARD;

/** Free a record from bw_stage_run_parse (NULL is a no-op). */
BW_API void bw_stage_run_free(bw_stage_run *run);
/** Free the contents of a record but not the record itself. */
BW_API void bw_stage_run_release(bw_stage_run *run);
/** Free an array of n records (as from bw_dvc_lock_parse). */
BW_API void bw_stage_runs_free(bw_stage_run *runs, size_t n);

/**
 * The OpenLineage runId for a run id: the id itself (lower-cased) when it
 * is a UUID, else the name-based UUID version 5 (RFC 9562, SHA-1) of the
 * run id in bulwark's namespace, uuid5(NAMESPACE_URL, BW_EXPORT_PRODUCER)
 * = 6daada4e-9024-5b97-ba8d-d424dcced562, so Python's
 * uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/bulwark-sec/bulwark"), run_id)
 * gives the same. Writes 36 characters and a NUL.
 */
BW_API bw_status bw_export_run_uuid(const char *run_id, char out[37], bw_error *err) BW_NODISCARD;

typedef enum bw_ol_event {
    BW_OL_AUTO = 0, /**< COMPLETE when exit_status is 0, else FAIL */
    BW_OL_START = 1,
    BW_OL_COMPLETE = 2,
    BW_OL_FAIL = 3,
} bw_ol_event;

typedef struct bw_export_opts {
    unsigned version;         /**< BW_EXPORT_OPTS_VERSION */
    const char *builder_id;   /**< SLSA runDetails.builder.id; NULL: BW_EXPORT_BUILDER_ID */
    const char *repo_uri;     /**< the commit's repository ("git+https://host/org/repo"); NULL: digest only */
    int allow_failed;         /**< SLSA: attest a run whose exit status is not 0 (refused by default) */
    const char *ol_namespace; /**< OpenLineage job and dataset namespace; NULL: "bulwark" */
    bw_ol_event event;        /**< OpenLineage eventType */
    const char *event_time;   /**< OpenLineage eventTime; NULL: ended (started for START) */
} bw_export_opts;

#define BW_EXPORT_OPTS_VERSION 1
#define BW_EXPORT_OPTS_INIT                                                                                            \
    {                                                                                                                  \
        BW_EXPORT_OPTS_VERSION, NULL, NULL, 0, NULL, BW_OL_AUTO, NULL                                                  \
    }

/**
 * The SLSA Provenance v1 in-toto Statement of a run, compact JSON appended
 * to out: subject = the outputs, buildDefinition (buildType
 * BW_EXPORT_BUILD_TYPE, externalParameters stage/command/parameters,
 * internalParameters actor/environment/exitStatus, resolvedDependencies =
 * the commit then the inputs), runDetails (builder.id, metadata
 * invocationId = run_id, startedOn, finishedOn). `opts` may be NULL.
 * @return BW_OK; BW_EINVAL for a run with no outputs, a failed run (unless
 *         allow_failed) or a bad option; BW_ENOMEM
 */
BW_API bw_status bw_export_slsa(const bw_stage_run *run, const bw_export_opts *opts, bw_buf *out,
                                bw_error *err) BW_NODISCARD;

/** The DSSE payloadType of in-toto statements. */
#define BW_EXPORT_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/**
 * bw_export_slsa's statement in a DSSE envelope (payloadType
 * application/vnd.in-toto+json) signed with k; keyid as bw_dsse_sign
 * (NULL leaves it out). Verify with bw_dsse_verify or any DSSE verifier.
 */
BW_API bw_status bw_export_slsa_dsse(const bw_stage_run *run, const bw_export_opts *opts, const bw_key *k,
                                     const char *keyid, bw_buf *out, bw_error *err) BW_NODISCARD;

/**
 * The OpenLineage RunEvent of a run (spec 2-0-2), compact JSON appended to
 * out: eventType, eventTime, run.runId (bw_export_run_uuid) with a
 * "bulwark_run" facet, job {namespace, name = stage}, inputs and outputs
 * as datasets {namespace, name} with the standard "version" facet and a
 * "bulwark_digest" facet (digest set and size). `opts` may be NULL.
 * @return BW_OK; BW_EINVAL when no event time is known or a time option is malformed; BW_ENOMEM
 */
BW_API bw_status bw_export_openlineage(const bw_stage_run *run, const bw_export_opts *opts, bw_buf *out,
                                       bw_error *err) BW_NODISCARD;

/**
 * in-toto (securesystemslib) key id of k: hex SHA-256 of the canonical
 * JSON of its public key record (see bw_export_intoto_pubkey). Ed25519,
 * P-256 and P-384 keys (the ones securesystemslib verifies); others
 * BW_EUNSUPPORTED.
 */
BW_API bw_status bw_export_intoto_keyid(const bw_key *k, char out[65], bw_error *err) BW_NODISCARD;

/**
 * k's public key in securesystemslib's JSON key format, what
 * `in-toto-verify -k FILE -t ed25519|ecdsa` reads: {"keytype", "scheme",
 * "keyid_hash_algorithms", "keyval": {"public"}}, appended to out.
 */
BW_API bw_status bw_export_intoto_pubkey(const bw_key *k, bw_buf *out, bw_error *err) BW_NODISCARD;

/**
 * An in-toto 1.x link for a run, signed with k (private): {"signatures":
 * [{"keyid", "sig"}], "signed": {"_type": "link", "name" = stage,
 * "materials" = inputs, "products" = outputs, "byproducts":
 * {"return-value"}, "command" = argv, "environment"}}; the signature is
 * over securesystemslib's canonical JSON of "signed" (ECDSA: DER, hex).
 * Write it to "<stage>.<first 8 hex of keyid>.link" for in-toto-verify.
 * @return BW_OK; BW_EINVAL for repeated artifact names or a public-only key;
 *         BW_EUNSUPPORTED for text JSON cannot carry (invalid UTF-8), a
 *         digest that is not hex, or a key type in-toto does not verify
 */
BW_API bw_status bw_export_intoto_link(const bw_stage_run *run, const bw_key *k, bw_buf *out,
                                       bw_error *err) BW_NODISCARD;

/**
 * An in-toto 1.x layout for a pipeline of runs, signed with `owner`: one
 * step per run, in order, named after its stage and authorised for
 * functionaries[i]'s key (threshold 1), expected_command = its argv;
 * expected_materials: an input that an earlier step produced is
 * "MATCH name WITH PRODUCTS FROM that-step", other inputs "ALLOW name",
 * then "DISALLOW *"; expected_products: "CREATE name" for each output,
 * then "DISALLOW *". No inspections. `expires` is RFC 3339 UTC
 * ("2026-12-24T10:00:00Z"). Stage names must be unique.
 */
BW_API bw_status bw_export_intoto_layout(const bw_stage_run *runs, size_t n, const bw_key *const *functionaries,
                                         const bw_key *owner, const char *expires, bw_buf *out,
                                         bw_error *err) BW_NODISCARD;

/** Limits of the dvc.lock reader. */
#define BW_DVC_MAX_FILE ((size_t)16 << 20)
#define BW_DVC_MAX_NODES 1000000
#define BW_DVC_MAX_DEPTH 32

typedef struct bw_dvc_opts {
    unsigned version;   /**< BW_DVC_OPTS_VERSION */
    const char *actor;  /**< the runs' actor; NULL: "dvc" */
    const char *commit; /**< the git commit the dvc.lock was read at, or NULL */
    const char *time;   /**< the runs' entry time (RFC 3339 UTC), or NULL */
} bw_dvc_opts;

#define BW_DVC_OPTS_VERSION 1
#define BW_DVC_OPTS_INIT                                                                                               \
    {                                                                                                                  \
        BW_DVC_OPTS_VERSION, NULL, NULL, NULL                                                                          \
    }

/**
 * Read a DVC dvc.lock (YAML, schema '2.0', untrusted) as stage runs, one
 * per stage in file order: stage = the stage name, command = ["sh", "-c",
 * cmd] (a list of commands joined with " && "), inputs = deps, outputs =
 * outs (digest {"md5": hex}, size, nfiles; a directory's ".dir" suffix is
 * dropped and nfiles kept), parameters_digest = SHA-256 of the params'
 * canonical JSON, run_id = "dvc-" + 32 hex of a SHA-256 over the stage's
 * content, exit_status 0, started/ended NULL. docs/provenance.md has the
 * details. `name` labels messages; `opts` may be NULL.
 * @return BW_OK (*out NULL when *n is 0); BW_EFORMAT with "name:line:column: what";
 *         BW_EUNSUPPORTED (schema 1 files, a dependency without md5, an unknown hash);
 *         BW_ELIMIT; BW_ENOMEM
 */
BW_API bw_status bw_dvc_lock_parse(const void *yaml, size_t len, const char *name, const bw_dvc_opts *opts,
                                   bw_stage_run **out, size_t *n, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
