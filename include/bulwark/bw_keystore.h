/*
 * bw_keystore.h - a directory of named signing keys, private keys
 * encrypted at rest.
 *
 * Each key is one file, DIR/NAME.key: a small versioned JSON document with
 * the key's name, type, creation time and public key (PEM SPKI), and its
 * private key in one of three states:
 *   - sealed: PKCS#8 DER encrypted with XChaCha20-Poly1305 under a key that
 *     Argon2id derives from a passphrase (the salt and cost parameters are in
 *     the file); the version, name, type, creation time and public key are
 *     the associated data, so changing any of them makes decryption fail;
 *   - unencrypted: PKCS#8 PEM in the clear (for CI, where the key comes from
 *     a secret store); the file is mode 0600 like every key file;
 *   - absent: a public-only entry, imported to verify with.
 * docs/keys.md describes the format field by field.
 *
 * Key files are parsed as untrusted input: malformed JSON, wrong sizes, an
 * unknown version or a name that does not match the file are BW_EFORMAT
 * with a message naming the file. A wrong passphrase, or a sealed key whose
 * ciphertext or associated data were changed, is BW_EVERIFY ("wrong
 * passphrase or damaged key file"). A decrypted key must match the public
 * key recorded beside it.
 *
 * Names are 1 to 64 characters of [A-Za-z0-9._-], not starting with '.';
 * anything else is BW_EINVAL, so a name can never reach outside DIR.
 *
 * Passphrases, derived keys and plaintext key bytes are wiped after use;
 * nothing secret is logged. A handle may be used by one thread at a time.
 */
#ifndef BULWARK_BW_KEYSTORE_H
#define BULWARK_BW_KEYSTORE_H

#include "bw_common.h"
#include "bw_key.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest key name. */
#define BW_KEYSTORE_NAME_MAX 64
/** The key file format version this library writes (and the only one it reads). */
#define BW_KEYSTORE_VERSION 1
/** Default Argon2id cost: 3 passes over 64 MiB (libsodium's "moderate"). */
#define BW_KEYSTORE_KDF_OPS_DEFAULT 3
#define BW_KEYSTORE_KDF_MEM_DEFAULT ((uint64_t)64 << 20)
/** Bounds on the cost, for writing and for what a key file may ask of us when read. */
#define BW_KEYSTORE_KDF_OPS_MIN 1
#define BW_KEYSTORE_KDF_OPS_MAX 64
#define BW_KEYSTORE_KDF_MEM_MIN ((uint64_t)8 << 10)
#define BW_KEYSTORE_KDF_MEM_MAX ((uint64_t)1 << 30)

typedef struct bw_keystore_opts {
    unsigned version; /**< BW_KEYSTORE_OPTS_VERSION */
    uint64_t kdf_ops; /**< Argon2id passes for keys written; 0: BW_KEYSTORE_KDF_OPS_DEFAULT */
    uint64_t kdf_mem; /**< Argon2id memory in bytes for keys written; 0: BW_KEYSTORE_KDF_MEM_DEFAULT */
    int64_t created;  /**< creation time recorded for keys written (Unix seconds); 0: now */
} bw_keystore_opts;

#define BW_KEYSTORE_OPTS_VERSION 1
#define BW_KEYSTORE_OPTS_INIT                                                                                          \
    {                                                                                                                  \
        BW_KEYSTORE_OPTS_VERSION, 0, 0, 0                                                                              \
    }

/** What a key file says about its key, read without the passphrase. */
typedef struct bw_keystore_entry {
    char name[BW_KEYSTORE_NAME_MAX + 1];
    bw_key_type type;
    char hint[65];    /**< bw_key_hint of the public key: hex SHA-256 of its PEM */
    int64_t created;  /**< Unix seconds */
    bool encrypted;   /**< the private key is sealed with a passphrase */
    bool public_only; /**< no private key: verification only */
    uint64_t kdf_ops; /**< Argon2id cost of a sealed key (0 otherwise) */
    uint64_t kdf_mem; /**< bytes */
    bw_status status; /**< bw_keystore_list: BW_OK, or why the file did not parse (then only name is set) */
    char error[BW_ERROR_MSG_SIZE]; /**< bw_keystore_list: the message when status is not BW_OK */
} bw_keystore_entry;

/** Flags for writing keys. */
enum {
    BW_KEYSTORE_FORCE = 1u << 0, /**< replace an existing key of the same name */
};

typedef struct bw_keystore bw_keystore;

/**
 * A handle on the key directory `dir`. Nothing is read or created yet; the directory is made (mode
 * 0700, its parent must exist) when the first key is written.
 * @param opts  NULL for defaults, or set up with BW_KEYSTORE_OPTS_INIT
 * @return BW_OK; BW_EINVAL for options out of bounds; BW_ENOMEM
 */
BW_API bw_status bw_keystore_open(bw_keystore **out, const char *dir, const bw_keystore_opts *opts,
                                  bw_error *err) BW_NODISCARD;
/** NULL is a no-op. */
BW_API void bw_keystore_free(bw_keystore *ks);
/** The directory (borrowed). */
BW_API const char *bw_keystore_dir(const bw_keystore *ks);

/** True when `name` is a valid key name. */
BW_API bool bw_keystore_name_valid(const char *name);

/**
 * Generate a private key of type `t` and store it as `name`.
 * @param pass   the passphrase to seal it with (pass[0..passlen), not NUL-terminated, at least one
 *               byte), or NULL to store it unencrypted
 * @param flags  BW_KEYSTORE_FORCE to replace an existing key
 * @param out    optional: receives the new key (free with bw_key_free)
 * @return BW_OK; BW_EINVAL (bad name, empty passphrase, the key exists); BW_EIO; BW_ENOMEM
 */
BW_API bw_status bw_keystore_generate(bw_keystore *ks, const char *name, bw_key_type t, const char *pass,
                                      size_t passlen, unsigned flags, bw_key **out, bw_error *err) BW_NODISCARD;

/**
 * Store `key` as `name`: a private key sealed with `pass` (or unencrypted when pass is NULL), a public
 * key as a public-only entry (pass is ignored). `key` is borrowed.
 */
BW_API bw_status bw_keystore_add(bw_keystore *ks, const char *name, const bw_key *key, const char *pass, size_t passlen,
                                 unsigned flags, bw_error *err) BW_NODISCARD;

/**
 * Store a key given as PEM text (unencrypted PKCS#8 "PRIVATE KEY" or SPKI "PUBLIC KEY"), as
 * bw_keystore_add does. `label` names the input in messages.
 * @return as bw_keystore_add, and BW_EFORMAT / BW_EUNSUPPORTED for the PEM (see bw_key_from_pem)
 */
BW_API bw_status bw_keystore_import_pem(bw_keystore *ks, const char *name, const char *pem, size_t n, const char *label,
                                        const char *pass, size_t passlen, unsigned flags, bw_error *err) BW_NODISCARD;

/**
 * Load key `name`. With want_private, the private key (a sealed one needs `pass`, NULL otherwise);
 * without, the public key (no passphrase needed).
 * @param out  receives the key; free with bw_key_free
 * @return BW_OK; BW_ENOTFOUND (no such key); BW_EINVAL (bad name; private key wanted from a public-only
 *         entry; a sealed key without a passphrase); BW_EFORMAT (damaged file); BW_EVERIFY (wrong
 *         passphrase, or the sealed data or its header changed); BW_EIO; BW_ENOMEM
 */
BW_API bw_status bw_keystore_load(bw_keystore *ks, const char *name, bool want_private, const char *pass,
                                  size_t passlen, bw_key **out, bw_error *err) BW_NODISCARD;

/** What key file `name` says, without decrypting anything. BW_ENOTFOUND, BW_EFORMAT, BW_EIO. */
BW_API bw_status bw_keystore_info(bw_keystore *ks, const char *name, bw_keystore_entry *out,
                                  bw_error *err) BW_NODISCARD;

/**
 * Every NAME.key in the directory, sorted by name. A file that does not parse is still listed, with
 * its status and message in the entry. A missing directory is an empty list.
 * @param out  receives the array (NULL when empty); free with bw_free
 */
BW_API bw_status bw_keystore_list(bw_keystore *ks, bw_keystore_entry **out, size_t *n, bw_error *err) BW_NODISCARD;

/**
 * Change the passphrase of private key `name`: unseal it with `old` (NULL for an unencrypted key) and
 * store it again sealed with `pass` (NULL: unencrypted), with a fresh salt and nonce and the store's
 * current Argon2id cost. The name and creation time stay. The file is replaced atomically.
 * @return as bw_keystore_load for the old passphrase (BW_EVERIFY when wrong), then as bw_keystore_add
 */
BW_API bw_status bw_keystore_rekey(bw_keystore *ks, const char *name, const char *old, size_t oldlen, const char *pass,
                                   size_t passlen, bw_error *err) BW_NODISCARD;

/** Remove key `name`. BW_ENOTFOUND when there is none. */
BW_API bw_status bw_keystore_delete(bw_keystore *ks, const char *name, bw_error *err) BW_NODISCARD;

/**
 * Parse a key file's bytes (untrusted) and describe it, decrypting nothing. `label` names the input in
 * messages. BW_EFORMAT / BW_ELIMIT / BW_EUNSUPPORTED (a later version) with the reason.
 */
BW_API bw_status bw_keystore_parse(const void *data, size_t n, const char *label, bw_keystore_entry *out,
                                   bw_error *err) BW_NODISCARD;

/**
 * The key in a key file's bytes (untrusted): as bw_keystore_load, without the file-name check.
 * The file's KDF cost is honoured within BW_KEYSTORE_KDF_*_MAX.
 */
BW_API bw_status bw_keystore_unseal(const void *data, size_t n, const char *label, bool want_private, const char *pass,
                                    size_t passlen, bw_key **out, bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
