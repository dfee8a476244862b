/*
 * keystore.c - named signing keys in a directory, private keys sealed with
 * a passphrase (see bw_keystore.h for the model, docs/keys.md for the file).
 *
 * A key file is written whole and atomically (bw_file_write_atomic, mode
 * 0600) and parsed as untrusted input: every field is checked for type,
 * size and range before anything is decoded, unknown fields are refused,
 * and a version newer than ours is BW_EUNSUPPORTED rather than guessed at.
 *
 * Sealing: key = Argon2id(passphrase, salt, ops, mem) (32 bytes), then
 * XChaCha20-Poly1305 over the PKCS#8 DER with a random 24-byte nonce and
 * associated data binding the header (aad_build). Decryption failure can
 * mean a wrong passphrase or changed bytes, and the two cannot be told
 * apart, so both get the same message. A decrypted key must also match the
 * recorded public key, so a file whose public key was swapped together with
 * a consistent re-encryption is still caught only if the attacker knows the
 * passphrase, which is the point.
 *
 * Secrets (passphrase-derived key, DER, clear PEM) live in fixed stack or
 * pre-sized buffers and are wiped on every path out; nothing secret is
 * logged or put in an error message.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/bw_file.h"
#include "bulwark/bw_json.h"
#include "bulwark/bw_keystore.h"
#include "util/internal.h"

#define KS_FORMAT "bulwark-key"
#define KS_SEALED "argon2id-xchacha20poly1305"
#define KS_KDF_ALG "argon2id13"
#define KS_FILE_MAX ((size_t)64 << 10) /* a P-521 sealed key file is under 2 KiB */
#define KS_PEM_MAX 4096                /* public key PEM text, and clear private key PEM text */
#define KS_SALT_LEN crypto_pwhash_SALTBYTES
#define KS_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KS_TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KS_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define KS_PASS_MAX 4096

struct bw_keystore {
    char *dir;
    uint64_t ops;
    uint64_t mem;
    int64_t created;
};

/* A parsed key file: views into the JSON tree `root` plus decoded binary fields. */
struct doc {
    json_t *root;
    bw_keystore_entry e;
    const char *created; /* the RFC 3339 text, as recorded (bound into the AAD) */
    const char *pub_pem;
    size_t pub_len;
    bw_key *pub;
    enum { PRIV_NONE, PRIV_CLEAR, PRIV_SEALED } priv;
    const char *clear_pem; /* PRIV_CLEAR: secret, wiped in doc_release */
    size_t clear_len;
    uint8_t salt[KS_SALT_LEN];
    uint8_t nonce[KS_NONCE_LEN];
    uint8_t ct[BW_KEY_DER_MAX + KS_TAG_LEN];
    size_t ct_len;
};

static void doc_release(struct doc *d)
{
    if (d->clear_pem != NULL) {
        /* jansson owns the string; clear the clear private key before it goes back to the heap */
        bw_wipe((void *)(uintptr_t)d->clear_pem, d->clear_len);
    }
    json_decref(d->root);
    bw_key_free(d->pub);
    memset(d, 0, sizeof(*d));
}

bool bw_keystore_name_valid(const char *name)
{
    size_t n = 0;

    if (name == NULL || name[0] == '\0' || name[0] == '.') {
        return false;
    }
    for (; name[n] != '\0'; n++) {
        char c = name[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        if (!ok || n >= BW_KEYSTORE_NAME_MAX) {
            return false;
        }
    }
    return true;
}

/* The canonical type names only: a key file says exactly what we wrote. */
static bool type_from_name(const char *s, bw_key_type *out)
{
    static const bw_key_type all[] = {BW_KEY_P256, BW_KEY_P384, BW_KEY_P521, BW_KEY_ED25519};
    for (size_t i = 0; i < BW_ARRAY_LEN(all); i++) {
        if (strcmp(s, bw_key_type_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

/* ---- time ---------------------------------------------------------------------------- */

static void time_format(int64_t t, char out[21])
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20) {
        memcpy(out, "1970-01-01T00:00:00Z", 21);
    }
}

/* Exactly "YYYY-MM-DDTHH:MM:SSZ", a real date and time (no leap seconds). */
static bool time_parse(const char *s, int64_t *out)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    int v[6], pos[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
    struct tm tm = {0}, back;
    time_t t;

    if (strlen(s) != 20) {
        return false;
    }
    for (size_t i = 0; i < 20; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : s[i] != shape[i]) {
            return false;
        }
    }
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int k = 0; k < len[i]; k++) {
            v[i] = v[i] * 10 + (s[pos[i] + k] - '0');
        }
    }
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59) {
        return false;
    }
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    t = timegm(&tm);
    /* timegm normalises 31 April to 1 May: a date that does not come back unchanged is not real */
    if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_mday != v[2] || back.tm_mon != v[1] - 1) {
        return false;
    }
    *out = (int64_t)t;
    return true;
}

/* ---- associated data ------------------------------------------------------------------ */

static void aad_field(bw_buf *b, const char *s, size_t n)
{
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    bw_buf_add(b, len, sizeof(len));
    bw_buf_add(b, s, n);
}

/*
 * The header bound to the ciphertext: a domain string, the version, then name, type, created time
 * and public key PEM, each with a 4-byte big-endian length, so no two headers encode alike.
 */
static bw_status aad_build(bw_buf *b, unsigned version, const char *name, const char *type, const char *created,
                           const char *pub, size_t pub_len)
{
    uint8_t v = (uint8_t)version;

    bw_buf_add(b, "bulwark-key aad", 16); /* with its NUL */
    bw_buf_add(b, &v, 1);
    aad_field(b, name, strlen(name));
    aad_field(b, type, strlen(type));
    aad_field(b, created, strlen(created));
    aad_field(b, pub, pub_len);
    return b->err;
}

/* Argon2id: the AEAD key from the passphrase. BW_ENOMEM when the memory cannot be had. */
static bw_status derive(uint8_t key[KS_KEY_LEN], const char *pass, size_t passlen, const uint8_t *salt, uint64_t ops,
                        uint64_t mem, bw_error *err)
{
    if (crypto_pwhash(key, KS_KEY_LEN, pass, passlen, salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        bw_wipe(key, KS_KEY_LEN);
        return bw_fail(err, BW_ENOMEM, "cannot derive the key from the passphrase: out of memory (Argon2id, %llu KiB)",
                       (unsigned long long)(mem >> 10));
    }
    return BW_OK;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* PKCS#8 DER as PEM text in out[cap] (64-column base64); secret, the caller wipes out. */
static bool der_to_pem(const uint8_t *der, size_t n, char *out, size_t cap)
{
    char b64[sodium_base64_ENCODED_LEN(BW_KEY_DER_MAX, sodium_base64_VARIANT_ORIGINAL)];
    static const char head[] = "-----BEGIN PRIVATE KEY-----\n", tail[] = "-----END PRIVATE KEY-----\n";
    size_t len, o = 0;

    if (n > BW_KEY_DER_MAX) {
        return false;
    }
    sodium_bin2base64(b64, sizeof(b64), der, n, sodium_base64_VARIANT_ORIGINAL);
    len = strlen(b64);
    if (sizeof(head) + sizeof(tail) + len + len / 64 + 2 > cap) {
        bw_wipe(b64, sizeof(b64));
        return false;
    }
    memcpy(out, head, sizeof(head) - 1);
    o = sizeof(head) - 1;
    for (size_t i = 0; i < len; i += 64) {
        size_t k = BW_MIN((size_t)64, len - i);
        memcpy(out + o, b64 + i, k);
        o += k;
        out[o++] = '\n';
    }
    memcpy(out + o, tail, sizeof(tail));
    bw_wipe(b64, sizeof(b64));
    return true;
}

static void json_b64(bw_json *j, const char *key, const uint8_t *p, size_t n, bw_buf *tmp)
{
    bw_buf_reset(tmp);
    if (bw_base64_encode(p, n, tmp) != BW_OK) {
        j->err = BW_ENOMEM;
        return;
    }
    bw_json_key(j, key);
    bw_json_strn(j, tmp->ptr, tmp->len);
}

/*
 * The key file for `key` as JSON in `out` (which must be empty and is pre-sized, so the secret parts
 * are written once and never copied by a reallocation; the caller wipes it).
 */
static bw_status encode(const char *name, const bw_key *key, int64_t created, const char *pass, size_t passlen,
                        uint64_t ops, uint64_t mem, bw_buf *out, bw_error *err)
{
    bw_buf pub = BW_BUF_INIT(KS_PEM_MAX), aad = BW_BUF_INIT(KS_PEM_MAX + 256), tmp = BW_BUF_INIT(KS_PEM_MAX);
    uint8_t der[BW_KEY_DER_MAX], k[KS_KEY_LEN], salt[KS_SALT_LEN], nonce[KS_NONCE_LEN];
    uint8_t ct[BW_KEY_DER_MAX + KS_TAG_LEN];
    char pem[1024], when[21];
    size_t der_len = 0;
    unsigned long long ct_len = 0;
    const char *type = bw_key_type_name(bw_key_get_type(key));
    bw_json j;
    bw_status rc;

    time_format(created, when);
    rc = bw_buf_grow(out, KS_FILE_MAX / 4);
    if (rc == BW_OK) {
        rc = bw_key_public_pem(key, &pub);
    }
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "cannot encode key '%s'", name);
        goto out;
    }
    bw_json_init(&j, out, 1);
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "format", KS_FORMAT);
    bw_json_kv_int(&j, "version", BW_KEYSTORE_VERSION);
    bw_json_kv_str(&j, "name", name);
    bw_json_kv_str(&j, "type", type);
    bw_json_kv_str(&j, "created", when);
    bw_json_key(&j, "public_key");
    bw_json_strn(&j, pub.ptr, pub.len);
    if (bw_key_is_private(key)) {
        rc = bw_key_private_der(key, der, sizeof(der), &der_len, err);
        if (rc != BW_OK) {
            goto out;
        }
        bw_json_key(&j, "private_key");
        bw_json_obj_begin(&j);
        if (pass == NULL) {
            if (!der_to_pem(der, der_len, pem, sizeof(pem))) {
                rc = bw_fail(err, BW_ELIMIT, "cannot encode key '%s' as PEM", name);
                goto out;
            }
            bw_json_kv_str(&j, "encryption", "none");
            bw_json_kv_str(&j, "pem", pem);
        } else {
            randombytes_buf(salt, sizeof(salt));
            randombytes_buf(nonce, sizeof(nonce));
            rc = aad_build(&aad, BW_KEYSTORE_VERSION, name, type, when, pub.ptr, pub.len);
            if (rc == BW_OK) {
                rc = derive(k, pass, passlen, salt, ops, mem, err);
            } else {
                rc = bw_fail(err, rc, "out of memory");
            }
            if (rc != BW_OK) {
                goto out;
            }
            crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ct_len, der, der_len, (const uint8_t *)aad.ptr, aad.len,
                                                       NULL, nonce, k);
            bw_json_kv_str(&j, "encryption", KS_SEALED);
            bw_json_key(&j, "kdf");
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "algorithm", KS_KDF_ALG);
            bw_json_key(&j, "opslimit");
            bw_json_uint(&j, ops);
            bw_json_key(&j, "memlimit");
            bw_json_uint(&j, mem);
            json_b64(&j, "salt", salt, sizeof(salt), &tmp);
            bw_json_obj_end(&j);
            json_b64(&j, "nonce", nonce, sizeof(nonce), &tmp);
            json_b64(&j, "ciphertext", ct, (size_t)ct_len, &tmp);
        }
        bw_json_obj_end(&j);
    }
    bw_json_obj_end(&j);
    rc = bw_json_finish(&j);
    if (rc == BW_OK) {
        rc = bw_buf_addc(out, '\n');
    }
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "cannot encode key '%s': out of memory", name);
    }
out:
    bw_wipe(der, sizeof(der));
    bw_wipe(k, sizeof(k));
    bw_wipe(pem, sizeof(pem));
    bw_buf_release(&pub);
    bw_buf_release(&aad);
    bw_buf_release(&tmp);
    return rc;
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* "key file 'LABEL': ..." with the label escaped for messages */
#define KS_FAIL(err, code, lab, fmt, ...) bw_fail((err), (code), "key file '%s': " fmt, (lab), __VA_ARGS__)

/* A string member; NULL when absent or not a string. */
static const char *get_str(json_t *o, const char *key, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        return NULL;
    }
    if (len != NULL) {
        *len = json_string_length(v);
    }
    return json_string_value(v);
}

/* Refuse members other than those listed. */
static bw_status only_keys(json_t *o, const char *const *keys, size_t n, const char *where, const char *lab,
                           bw_error *err)
{
    const char *k;
    json_t *v;

    json_object_foreach(o, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++) {
            known = strcmp(k, keys[i]) == 0;
        }
        if (!known) {
            char esc[64];
            bw_escape_for_log(k, strlen(k), esc, sizeof(esc));
            return KS_FAIL(err, BW_EFORMAT, lab, "unknown field '%s' in %s", esc, where);
        }
    }
    return BW_OK;
}

/* Decode base64 member `key` of exactly `want` bytes, or (want 0) min..max bytes, into out. */
static bw_status get_b64(json_t *o, const char *key, uint8_t *out, size_t want, size_t min, size_t max, size_t *got,
                         const char *lab, bw_error *err)
{
    bw_buf b = BW_BUF_INIT(4096);
    size_t n, bad = 0;
    const char *s = get_str(o, key, &n);
    bw_status rc;

    if (s == NULL) {
        return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is missing or not a string", key);
    }
    if (n > 2048) {
        return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is %zu characters, too long", key, n);
    }
    rc = bw_base64_decode(s, n, &b, &bad);
    if (rc != BW_OK) {
        bw_buf_release(&b);
        return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is not base64 (character %zu)", key, bad + 1);
    }
    if (want != 0 ? b.len != want : (b.len < min || b.len > max)) {
        size_t len = b.len;
        bw_buf_release(&b);
        if (want != 0) {
            return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is %zu bytes, not %zu", key, len, want);
        }
        return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is %zu bytes, not %zu to %zu", key, len, min, max);
    }
    memcpy(out, b.ptr, b.len);
    if (got != NULL) {
        *got = b.len;
    }
    bw_buf_release(&b);
    return BW_OK;
}

static bw_status get_uint(json_t *o, const char *key, uint64_t min, uint64_t max, uint64_t *out, const char *lab,
                          bw_error *err)
{
    json_t *v = json_object_get(o, key);
    json_int_t x;

    if (!json_is_integer(v)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is missing or not an integer", key);
    }
    x = json_integer_value(v);
    if (x < 0 || (uint64_t)x < min || (uint64_t)x > max) {
        return KS_FAIL(err, BW_EFORMAT, lab, "'%s' is %lld, outside %llu..%llu", key, (long long)x,
                       (unsigned long long)min, (unsigned long long)max);
    }
    *out = (uint64_t)x;
    return BW_OK;
}

static bw_status parse_private(struct doc *d, json_t *p, const char *lab, bw_error *err)
{
    static const char *const clear_keys[] = {"encryption", "pem"};
    static const char *const sealed_keys[] = {"encryption", "kdf", "nonce", "ciphertext"};
    static const char *const kdf_keys[] = {"algorithm", "opslimit", "memlimit", "salt"};
    const char *enc, *alg;
    json_t *kdf;

    if (p == NULL || json_is_null(p)) {
        d->priv = PRIV_NONE;
        d->e.public_only = true;
        return BW_OK;
    }
    if (!json_is_object(p)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'private_key' is not an object");
    }
    enc = get_str(p, "encryption", NULL);
    if (enc == NULL) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'private_key.encryption' is missing or not a string");
    }
    if (strcmp(enc, "none") == 0) {
        BW_TRY(only_keys(p, clear_keys, BW_ARRAY_LEN(clear_keys), "'private_key'", lab, err));
        d->clear_pem = get_str(p, "pem", &d->clear_len);
        if (d->clear_pem == NULL || d->clear_len > KS_PEM_MAX) {
            d->clear_pem = NULL;
            return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'private_key.pem' is missing, not a string or too long");
        }
        d->priv = PRIV_CLEAR;
        return BW_OK;
    }
    if (strcmp(enc, KS_SEALED) != 0) {
        char esc[64];
        bw_escape_for_log(enc, strlen(enc), esc, sizeof(esc));
        return KS_FAIL(err, BW_EUNSUPPORTED, lab, "encryption '%s' is not supported (%s is)", esc, KS_SEALED);
    }
    BW_TRY(only_keys(p, sealed_keys, BW_ARRAY_LEN(sealed_keys), "'private_key'", lab, err));
    kdf = json_object_get(p, "kdf");
    if (!json_is_object(kdf)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'private_key.kdf' is missing or not an object");
    }
    BW_TRY(only_keys(kdf, kdf_keys, BW_ARRAY_LEN(kdf_keys), "'private_key.kdf'", lab, err));
    alg = get_str(kdf, "algorithm", NULL);
    if (alg == NULL || strcmp(alg, KS_KDF_ALG) != 0) {
        return KS_FAIL(err, BW_EUNSUPPORTED, lab, "the key derivation is not %s", KS_KDF_ALG);
    }
    BW_TRY(get_uint(kdf, "opslimit", BW_KEYSTORE_KDF_OPS_MIN, BW_KEYSTORE_KDF_OPS_MAX, &d->e.kdf_ops, lab, err));
    BW_TRY(get_uint(kdf, "memlimit", BW_KEYSTORE_KDF_MEM_MIN, BW_KEYSTORE_KDF_MEM_MAX, &d->e.kdf_mem, lab, err));
    BW_TRY(get_b64(kdf, "salt", d->salt, KS_SALT_LEN, 0, 0, NULL, lab, err));
    BW_TRY(get_b64(p, "nonce", d->nonce, KS_NONCE_LEN, 0, 0, NULL, lab, err));
    /* the smallest PKCS#8 key we make is Ed25519's 48 bytes; the largest fits BW_KEY_DER_MAX */
    BW_TRY(get_b64(p, "ciphertext", d->ct, 0, 32 + KS_TAG_LEN, sizeof(d->ct), &d->ct_len, lab, err));
    d->priv = PRIV_SEALED;
    d->e.encrypted = true;
    return BW_OK;
}

/* Parse and check everything that can be checked without the passphrase. */
static bw_status doc_parse(struct doc *d, const void *data, size_t n, const char *label, bw_error *err)
{
    static const char *const top_keys[] = {"format", "version", "name", "type", "created", "public_key", "private_key"};
    char lab[128];
    json_error_t je;
    json_t *v;
    const char *s;
    bw_error kerr = {0};
    bw_status rc;

    memset(d, 0, sizeof(*d));
    label = label != NULL ? label : "key";
    bw_escape_for_log(label, strlen(label), lab, sizeof(lab));
    if (n > KS_FILE_MAX) {
        return KS_FAIL(err, BW_ELIMIT, lab, "%zu bytes, over the limit of %zu", n, KS_FILE_MAX);
    }
    d->root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &je);
    if (d->root == NULL) {
        return bw_fail_at(err, BW_EFORMAT, (uint64_t)je.position,
                          "key file '%s': not valid JSON (line %d, column %d): %s", lab, je.line, je.column, je.text);
    }
    if (!json_is_object(d->root)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "not a JSON object");
    }
    s = get_str(d->root, "format", NULL);
    if (s == NULL || strcmp(s, KS_FORMAT) != 0) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "not a bulwark key file ('format' is not \"" KS_FORMAT "\")");
    }
    v = json_object_get(d->root, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'version' is missing or not a positive integer");
    }
    if (json_integer_value(v) != BW_KEYSTORE_VERSION) {
        return KS_FAIL(err, BW_EUNSUPPORTED, lab, "version %lld is not supported (this bulwark reads version %d)",
                       (long long)json_integer_value(v), BW_KEYSTORE_VERSION);
    }
    BW_TRY(only_keys(d->root, top_keys, BW_ARRAY_LEN(top_keys), "the document", lab, err));
    s = get_str(d->root, "name", NULL);
    if (s == NULL || !bw_keystore_name_valid(s)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'name' is missing or not a valid key name");
    }
    memcpy(d->e.name, s, strlen(s) + 1);
    s = get_str(d->root, "type", NULL);
    if (s == NULL || !type_from_name(s, &d->e.type)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'type' is missing or not one of p256, p384, p521, ed25519");
    }
    d->created = get_str(d->root, "created", NULL);
    if (d->created == NULL || !time_parse(d->created, &d->e.created)) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'created' is missing or not a time like 2024-05-01T12:00:00Z");
    }
    d->pub_pem = get_str(d->root, "public_key", &d->pub_len);
    if (d->pub_pem == NULL || d->pub_len > KS_PEM_MAX) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'public_key' is missing, not a string or too long");
    }
    rc = bw_key_from_pem(d->pub_pem, d->pub_len, "public_key", &d->pub, &kerr);
    if (rc != BW_OK) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", kerr.msg);
    }
    if (bw_key_is_private(d->pub) || memmem(d->pub_pem, d->pub_len, "PRIVATE", 7) != NULL) {
        return KS_FAIL(err, BW_EFORMAT, lab, "%s", "'public_key' holds a private key");
    }
    if (bw_key_get_type(d->pub) != d->e.type) {
        return KS_FAIL(err, BW_EFORMAT, lab, "'type' says %s but the public key is %s", bw_key_type_name(d->e.type),
                       bw_key_type_name(bw_key_get_type(d->pub)));
    }
    if (bw_key_hint(d->pub, d->e.hint) != BW_OK) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    return parse_private(d, json_object_get(d->root, "private_key"), lab, err);
}

/* True when both keys have the same public key. */
static bw_status same_public(const bw_key *a, const bw_key *b, bool *same)
{
    bw_buf pa = BW_BUF_INIT(KS_PEM_MAX), pb = BW_BUF_INIT(KS_PEM_MAX);
    bw_status rc = bw_key_public_pem(a, &pa);

    if (rc == BW_OK) {
        rc = bw_key_public_pem(b, &pb);
    }
    *same = rc == BW_OK && pa.len == pb.len && memcmp(pa.ptr, pb.ptr, pa.len) == 0;
    bw_buf_release(&pa);
    bw_buf_release(&pb);
    return rc;
}

/* The private key of a parsed document. */
static bw_status doc_private(struct doc *d, const char *label, const char *pass, size_t passlen, bw_key **out,
                             bw_error *err)
{
    uint8_t k[KS_KEY_LEN], plain[BW_KEY_DER_MAX];
    unsigned long long plain_len = 0;
    bw_buf aad = BW_BUF_INIT(KS_PEM_MAX + 256);
    bw_key *key = NULL;
    bw_error kerr = {0};
    char lab[128];
    bool same = false;
    bw_status rc = BW_OK;

    *out = NULL;
    bw_escape_for_log(label, strlen(label), lab, sizeof(lab));
    switch (d->priv) {
    case PRIV_NONE: return KS_FAIL(err, BW_EINVAL, lab, "%s", "holds only a public key (no private key to sign with)");
    case PRIV_CLEAR:
        rc = bw_key_from_pem(d->clear_pem, d->clear_len, "private key", &key, &kerr);
        if (rc == BW_OK && !bw_key_is_private(key)) {
            rc = BW_EFORMAT;
            bw_error_clear(&kerr);
            bw_fail(&kerr, rc, "'private_key.pem' is not a private key");
        }
        if (rc != BW_OK) {
            rc = KS_FAIL(err, rc == BW_ENOMEM ? BW_ENOMEM : BW_EFORMAT, lab, "%s", kerr.msg);
            goto out;
        }
        break;
    case PRIV_SEALED:
        if (pass == NULL) {
            return KS_FAIL(err, BW_EINVAL, lab, "%s", "the private key is encrypted: a passphrase is needed");
        }
        if (passlen > KS_PASS_MAX) {
            return KS_FAIL(err, BW_EINVAL, lab, "a passphrase of %zu bytes is longer than %d", passlen, KS_PASS_MAX);
        }
        rc = aad_build(&aad, BW_KEYSTORE_VERSION, d->e.name, bw_key_type_name(d->e.type), d->created, d->pub_pem,
                       d->pub_len);
        if (rc != BW_OK) {
            rc = bw_fail(err, rc, "out of memory");
            goto out;
        }
        rc = derive(k, pass, passlen, d->salt, d->e.kdf_ops, d->e.kdf_mem, err);
        if (rc != BW_OK) {
            goto out;
        }
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plain_len, NULL, d->ct, d->ct_len,
                                                       (const uint8_t *)aad.ptr, aad.len, d->nonce, k) != 0) {
            rc = KS_FAIL(err, BW_EVERIFY, lab, "%s", "wrong passphrase or damaged key file");
            goto out;
        }
        rc = bw_key_from_der(plain, (size_t)plain_len, "private key", &key, &kerr);
        if (rc == BW_OK && !bw_key_is_private(key)) {
            rc = BW_EFORMAT;
        }
        if (rc != BW_OK) {
            /* authenticated, so written by someone with the passphrase: still, refuse it */
            rc = KS_FAIL(err, BW_EFORMAT, lab, "%s", "the decrypted private key does not parse as PKCS#8");
            goto out;
        }
        break;
    }
    if (bw_key_get_type(key) != d->e.type) {
        rc = KS_FAIL(err, BW_EVERIFY, lab, "the private key is %s, not %s as recorded",
                     bw_key_type_name(bw_key_get_type(key)), bw_key_type_name(d->e.type));
        goto out;
    }
    rc = same_public(key, d->pub, &same);
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "out of memory");
        goto out;
    }
    if (!same) {
        rc = KS_FAIL(err, BW_EVERIFY, lab, "%s", "the private key does not match the recorded public key");
        goto out;
    }
    *out = key;
    key = NULL;
out:
    bw_wipe(k, sizeof(k));
    bw_wipe(plain, sizeof(plain));
    bw_buf_release(&aad);
    bw_key_free(key);
    return rc;
}

bw_status bw_keystore_parse(const void *data, size_t n, const char *label, bw_keystore_entry *out, bw_error *err)
{
    struct doc d;
    bw_status rc;

    memset(out, 0, sizeof(*out));
    rc = doc_parse(&d, data, n, label, err);
    if (rc == BW_OK) {
        *out = d.e;
    }
    doc_release(&d);
    return rc;
}

static bw_status unseal(const void *data, size_t n, const char *label, const char *want_name, bool want_private,
                        const char *pass, size_t passlen, bw_key **out, bw_error *err)
{
    struct doc d;
    bw_status rc;

    *out = NULL;
    label = label != NULL ? label : "key";
    if (sodium_init() < 0) {
        return bw_fail(err, BW_EIO, "libsodium cannot be initialised");
    }
    rc = doc_parse(&d, data, n, label, err);
    if (rc == BW_OK && want_name != NULL && strcmp(d.e.name, want_name) != 0) {
        char lab[128];
        bw_escape_for_log(label, strlen(label), lab, sizeof(lab));
        rc = KS_FAIL(err, BW_EFORMAT, lab, "holds key '%s', not '%s'", d.e.name, want_name);
    }
    if (rc == BW_OK) {
        if (want_private) {
            rc = doc_private(&d, label, pass, passlen, out, err);
        } else {
            *out = d.pub;
            d.pub = NULL;
        }
    }
    doc_release(&d);
    return rc;
}

bw_status bw_keystore_unseal(const void *data, size_t n, const char *label, bool want_private, const char *pass,
                             size_t passlen, bw_key **out, bw_error *err)
{
    return unseal(data, n, label, NULL, want_private, pass, passlen, out, err);
}

/* ---- the directory ---------------------------------------------------------------------- */

bw_status bw_keystore_open(bw_keystore **out, const char *dir, const bw_keystore_opts *opts, bw_error *err)
{
    bw_keystore_opts def = BW_KEYSTORE_OPTS_INIT;
    bw_keystore *ks;

    *out = NULL;
    opts = opts != NULL ? opts : &def;
    if (opts->version != BW_KEYSTORE_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "key store options version %u is not %d", opts->version,
                       BW_KEYSTORE_OPTS_VERSION);
    }
    if (dir == NULL || dir[0] == '\0') {
        return bw_fail(err, BW_EINVAL, "no key store directory");
    }
    if (opts->kdf_ops != 0 && (opts->kdf_ops < BW_KEYSTORE_KDF_OPS_MIN || opts->kdf_ops > BW_KEYSTORE_KDF_OPS_MAX)) {
        return bw_fail(err, BW_EINVAL, "Argon2id passes %llu outside %d..%d", (unsigned long long)opts->kdf_ops,
                       BW_KEYSTORE_KDF_OPS_MIN, BW_KEYSTORE_KDF_OPS_MAX);
    }
    if (opts->kdf_mem != 0 && (opts->kdf_mem < BW_KEYSTORE_KDF_MEM_MIN || opts->kdf_mem > BW_KEYSTORE_KDF_MEM_MAX)) {
        return bw_fail(err, BW_EINVAL, "Argon2id memory %llu bytes outside 8 KiB..1 GiB",
                       (unsigned long long)opts->kdf_mem);
    }
    if (sodium_init() < 0) {
        return bw_fail(err, BW_EIO, "libsodium cannot be initialised");
    }
    ks = bw_calloc(1, sizeof(*ks));
    if (ks == NULL || (ks->dir = bw_strdup(dir)) == NULL) {
        bw_free(ks);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    ks->ops = opts->kdf_ops != 0 ? opts->kdf_ops : BW_KEYSTORE_KDF_OPS_DEFAULT;
    ks->mem = opts->kdf_mem != 0 ? opts->kdf_mem : BW_KEYSTORE_KDF_MEM_DEFAULT;
    ks->created = opts->created;
    *out = ks;
    return BW_OK;
}

void bw_keystore_free(bw_keystore *ks)
{
    if (ks != NULL) {
        bw_free(ks->dir);
        bw_free(ks);
    }
}

const char *bw_keystore_dir(const bw_keystore *ks)
{
    return ks->dir;
}

/* DIR/NAME.key, after checking the name. */
static bw_status key_path(const bw_keystore *ks, const char *name, bw_buf *path, bw_error *err)
{
    if (!bw_keystore_name_valid(name)) {
        char esc[96];
        bw_escape_for_log(name != NULL ? name : "", name != NULL ? strlen(name) : 0, esc, sizeof(esc));
        return bw_fail(err, BW_EINVAL,
                       "'%s' is not a valid key name (1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')", esc);
    }
    bw_buf_printf(path, "%s/%s.key", ks->dir, name);
    return path->err != BW_OK ? bw_fail(err, path->err, "key path too long") : BW_OK;
}

/* Read key file `name` (its bytes may be secret: the caller wipes and releases buf). */
static bw_status read_key_file(const bw_keystore *ks, const char *name, bw_buf *path, bw_buf *buf, bw_error *err)
{
    bw_error ferr = {0};
    bw_status rc;

    BW_TRY(key_path(ks, name, path, err));
    rc = bw_buf_grow(buf, KS_FILE_MAX / 4); /* once, so the contents are not copied by growing */
    if (rc == BW_OK) {
        rc = bw_file_slurp(path->ptr, 0, KS_FILE_MAX, buf, &ferr);
    }
    if (rc == BW_ENOTFOUND) {
        return bw_fail(err, rc, "no key '%s' in '%s'", name, ks->dir);
    }
    if (rc != BW_OK) {
        return bw_fail(err, rc, "%s", ferr.msg[0] != '\0' ? ferr.msg : bw_strerror(rc));
    }
    return BW_OK;
}

static void wipe_buf(bw_buf *b)
{
    if (b->ptr != NULL) {
        bw_wipe(b->ptr, b->cap);
    }
    bw_buf_release(b);
}

bw_status bw_keystore_load(bw_keystore *ks, const char *name, bool want_private, const char *pass, size_t passlen,
                           bw_key **out, bw_error *err)
{
    bw_buf path = BW_BUF_INIT(4096), buf = BW_BUF_INIT(KS_FILE_MAX);
    bw_status rc;

    *out = NULL;
    rc = read_key_file(ks, name, &path, &buf, err);
    if (rc == BW_OK) {
        rc = unseal(buf.ptr, buf.len, path.ptr, name, want_private, pass, passlen, out, err);
    }
    wipe_buf(&buf);
    bw_buf_release(&path);
    return rc;
}

bw_status bw_keystore_info(bw_keystore *ks, const char *name, bw_keystore_entry *out, bw_error *err)
{
    bw_buf path = BW_BUF_INIT(4096), buf = BW_BUF_INIT(KS_FILE_MAX);
    bw_status rc;

    memset(out, 0, sizeof(*out));
    rc = read_key_file(ks, name, &path, &buf, err);
    if (rc == BW_OK) {
        rc = bw_keystore_parse(buf.ptr, buf.len, path.ptr, out, err);
    }
    if (rc == BW_OK && strcmp(out->name, name) != 0) {
        char lab[128];
        bw_escape_for_log(path.ptr, path.len, lab, sizeof(lab));
        rc = KS_FAIL(err, BW_EFORMAT, lab, "holds key '%s', not '%s'", out->name, name);
        memset(out, 0, sizeof(*out));
    }
    wipe_buf(&buf);
    bw_buf_release(&path);
    return rc;
}

/* Write the key file, creating the directory (0700) if need be. */
static bw_status store(bw_keystore *ks, const char *name, const bw_key *key, const char *pass, size_t passlen,
                       unsigned flags, int64_t created, bw_error *err)
{
    bw_buf path = BW_BUF_INIT(4096), doc = BW_BUF_INIT(KS_FILE_MAX);
    struct stat st;
    bw_status rc;

    if (!bw_key_is_private(key)) {
        pass = NULL; /* a public key is stored as it is */
    } else if (pass != NULL && (passlen == 0 || passlen > KS_PASS_MAX)) {
        return bw_fail(err, BW_EINVAL, "the passphrase must be 1 to %d bytes", KS_PASS_MAX);
    }
    rc = key_path(ks, name, &path, err);
    if (rc != BW_OK) {
        goto out;
    }
    if (mkdir(ks->dir, 0700) != 0 && errno != EEXIST) {
        rc = bw_fail_errno(err, errno, "cannot create key directory", ks->dir);
        goto out;
    }
    if (stat(ks->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = bw_fail(err, BW_EIO, "'%s' is not a directory", ks->dir);
        goto out;
    }
    /* not atomic against a concurrent writer of the same name; the directory is the user's own */
    if (!(flags & BW_KEYSTORE_FORCE) && lstat(path.ptr, &st) == 0) {
        rc = bw_fail(err, BW_EINVAL, "key '%s' already exists in '%s'", name, ks->dir);
        goto out;
    }
    if (created == 0) {
        created = ks->created != 0 ? ks->created : (int64_t)time(NULL);
    }
    rc = encode(name, key, created, pass, passlen, ks->ops, ks->mem, &doc, err);
    if (rc == BW_OK) {
        rc = bw_file_write_atomic(path.ptr, doc.ptr, doc.len, 0600, err);
    }
out:
    wipe_buf(&doc);
    bw_buf_release(&path);
    return rc;
}

bw_status bw_keystore_add(bw_keystore *ks, const char *name, const bw_key *key, const char *pass, size_t passlen,
                          unsigned flags, bw_error *err)
{
    return store(ks, name, key, pass, passlen, flags, 0, err);
}

bw_status bw_keystore_generate(bw_keystore *ks, const char *name, bw_key_type t, const char *pass, size_t passlen,
                               unsigned flags, bw_key **out, bw_error *err)
{
    bw_key *key = NULL;
    bw_status rc;

    if (out != NULL) {
        *out = NULL;
    }
    if (!bw_keystore_name_valid(name)) {
        bw_buf path = BW_BUF_INIT(4096);
        rc = key_path(ks, name, &path, err);
        bw_buf_release(&path);
        return rc;
    }
    BW_TRY(bw_key_generate(t, &key, err));
    rc = store(ks, name, key, pass, passlen, flags, 0, err);
    if (rc == BW_OK && out != NULL) {
        *out = key;
        key = NULL;
    }
    bw_key_free(key);
    return rc;
}

bw_status bw_keystore_import_pem(bw_keystore *ks, const char *name, const char *pem, size_t n, const char *label,
                                 const char *pass, size_t passlen, unsigned flags, bw_error *err)
{
    bw_key *key = NULL;
    bw_status rc;

    if (!bw_keystore_name_valid(name)) {
        bw_buf path = BW_BUF_INIT(4096);
        rc = key_path(ks, name, &path, err);
        bw_buf_release(&path);
        return rc;
    }
    BW_TRY(bw_key_from_pem(pem, n, label, &key, err));
    rc = store(ks, name, key, pass, passlen, flags, 0, err);
    bw_key_free(key);
    return rc;
}

bw_status bw_keystore_rekey(bw_keystore *ks, const char *name, const char *old, size_t oldlen, const char *pass,
                            size_t passlen, bw_error *err)
{
    bw_keystore_entry e;
    bw_key *key = NULL;
    bw_status rc;

    BW_TRY(bw_keystore_info(ks, name, &e, err));
    BW_TRY(bw_keystore_load(ks, name, true, old, oldlen, &key, err));
    /* the same key under a new salt, nonce and cost; its name and creation time stay */
    rc = store(ks, name, key, pass, passlen, BW_KEYSTORE_FORCE, e.created, err);
    bw_key_free(key);
    return rc;
}

bw_status bw_keystore_delete(bw_keystore *ks, const char *name, bw_error *err)
{
    bw_buf path = BW_BUF_INIT(4096);
    bw_status rc = key_path(ks, name, &path, err);

    if (rc == BW_OK && unlink(path.ptr) != 0) {
        rc = errno == ENOENT ? bw_fail(err, BW_ENOTFOUND, "no key '%s' in '%s'", name, ks->dir)
                             : bw_fail_errno(err, errno, "cannot delete", path.ptr);
    }
    bw_buf_release(&path);
    return rc;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const bw_keystore_entry *)a)->name, ((const bw_keystore_entry *)b)->name);
}

bw_status bw_keystore_list(bw_keystore *ks, bw_keystore_entry **out, size_t *n, bw_error *err)
{
    bw_keystore_entry *v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    DIR *dir;
    bw_status rc = BW_OK;

    *out = NULL;
    *n = 0;
    dir = opendir(ks->dir);
    if (dir == NULL) {
        return errno == ENOENT ? BW_OK : bw_fail_errno(err, errno, "cannot list key directory", ks->dir);
    }
    while ((de = readdir(dir)) != NULL) {
        size_t nl = strlen(de->d_name);
        char name[BW_KEYSTORE_NAME_MAX + 1];
        bw_error e = {0};

        if (nl <= 4 || nl - 4 > BW_KEYSTORE_NAME_MAX || strcmp(de->d_name + nl - 4, ".key") != 0) {
            continue;
        }
        memcpy(name, de->d_name, nl - 4);
        name[nl - 4] = '\0';
        if (!bw_keystore_name_valid(name)) {
            continue;
        }
        if (len == cap) {
            size_t ncap = cap != 0 ? cap * 2 : 16;
            bw_keystore_entry *nv = bw_reallocarray(v, ncap, sizeof(*v));
            if (nv == NULL) {
                rc = bw_fail(err, BW_ENOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = ncap;
        }
        rc = bw_keystore_info(ks, name, &v[len], &e);
        if (rc == BW_ENOMEM) {
            bw_fail(err, rc, "out of memory");
            break;
        }
        if (rc != BW_OK) {
            memset(&v[len], 0, sizeof(v[len]));
            memcpy(v[len].name, name, nl - 3);
            v[len].status = rc;
            memcpy(v[len].error, e.msg, sizeof(e.msg));
        }
        rc = BW_OK;
        len++;
    }
    closedir(dir);
    if (rc != BW_OK) {
        bw_free(v);
        return rc;
    }
    if (len > 1) {
        qsort(v, len, sizeof(*v), entry_cmp);
    }
    *out = v;
    *n = len;
    return BW_OK;
}
