/*
 * key.c - signing keys over OpenSSL 3 (see bw_key.h).
 *
 * A bw_key is an EVP_PKEY plus what bulwark needs to know about it: the
 * type (which fixes the digest an ECDSA signature is made over) and whether
 * the private half is present. OpenSSL's own error queue is cleared after
 * every failed call, so one failure does not leak into a later message.
 */
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>
#include <strings.h>

#include "bulwark/bw_digest.h"
#include "bulwark/bw_key.h"
#include "util/internal.h"

struct bw_key {
    EVP_PKEY *pk;
    bw_key_type type;
    bool priv;
};

const char *bw_key_type_name(bw_key_type t)
{
    switch (t) {
    case BW_KEY_P256: return "p256";
    case BW_KEY_P384: return "p384";
    case BW_KEY_P521: return "p521";
    case BW_KEY_ED25519: return "ed25519";
    }
    return "?";
}

bw_status bw_key_type_parse(const char *s, bw_key_type *out)
{
    static const struct {
        const char *name;
        bw_key_type t;
    } names[] = {
        {"p256", BW_KEY_P256},      {"p-256", BW_KEY_P256},      {"ecdsa-p256", BW_KEY_P256},
        {"nistp256", BW_KEY_P256},  {"prime256v1", BW_KEY_P256}, {"secp256r1", BW_KEY_P256},
        {"p384", BW_KEY_P384},      {"p-384", BW_KEY_P384},      {"ecdsa-p384", BW_KEY_P384},
        {"nistp384", BW_KEY_P384},  {"secp384r1", BW_KEY_P384},  {"p521", BW_KEY_P521},
        {"p-521", BW_KEY_P521},     {"ecdsa-p521", BW_KEY_P521}, {"nistp521", BW_KEY_P521},
        {"secp521r1", BW_KEY_P521}, {"ed25519", BW_KEY_ED25519},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].t;
            return BW_OK;
        }
    }
    return BW_EINVAL;
}

/* The curve's digest for ECDSA; NULL for Ed25519 (it hashes by itself). */
static const EVP_MD *key_md(bw_key_type t)
{
    switch (t) {
    case BW_KEY_P256: return EVP_sha256();
    case BW_KEY_P384: return EVP_sha384();
    case BW_KEY_P521: return EVP_sha512();
    case BW_KEY_ED25519: return NULL;
    }
    return NULL;
}

/* The size of r (and of s) in bytes. */
static size_t ec_size(bw_key_type t)
{
    return t == BW_KEY_P256 ? 32 : t == BW_KEY_P384 ? 48 : 66;
}

/* Wrap pk (taking it) after finding its type; BW_EUNSUPPORTED for other algorithms and curves. */
static bw_status wrap(EVP_PKEY *pk, bool priv, const char *name, bw_key **out, bw_error *err)
{
    bw_key_type t;

    if (EVP_PKEY_get_id(pk) == EVP_PKEY_ED25519) {
        t = BW_KEY_ED25519;
    } else if (EVP_PKEY_get_id(pk) == EVP_PKEY_EC) {
        char group[64] = "";
        size_t len = 0;
        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1) {
            EVP_PKEY_free(pk);
            ERR_clear_error();
            return bw_fail(err, BW_EUNSUPPORTED, "%s: an EC key without a named curve", name);
        }
        if (strcmp(group, "prime256v1") == 0) {
            t = BW_KEY_P256;
        } else if (strcmp(group, "secp384r1") == 0) {
            t = BW_KEY_P384;
        } else if (strcmp(group, "secp521r1") == 0) {
            t = BW_KEY_P521;
        } else {
            EVP_PKEY_free(pk);
            return bw_fail(err, BW_EUNSUPPORTED, "%s: curve %s is not supported (P-256, P-384, P-521, Ed25519 are)",
                           name, group);
        }
    } else {
        const char *alg = EVP_PKEY_get0_type_name(pk);
        bw_status rc = bw_fail(err, BW_EUNSUPPORTED, "%s: %s keys are not supported (P-256, P-384, P-521, Ed25519 are)",
                               name, alg != NULL ? alg : "these");
        EVP_PKEY_free(pk);
        return rc;
    }
    bw_key *k = bw_calloc(1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pk);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    k->pk = pk;
    k->type = t;
    k->priv = priv;
    *out = k;
    return BW_OK;
}

bw_status bw_key_generate(bw_key_type t, bw_key **out, bw_error *err)
{
    EVP_PKEY *pk = NULL;

    *out = NULL;
    switch (t) {
    case BW_KEY_P256: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
    case BW_KEY_P384: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
    case BW_KEY_P521: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"); break;
    case BW_KEY_ED25519: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
    default: return bw_fail(err, BW_EINVAL, "unknown key type %d", (int)t);
    }
    if (pk == NULL) {
        ERR_clear_error();
        return bw_fail(err, BW_EIO, "could not generate a %s key", bw_key_type_name(t));
    }
    return wrap(pk, true, bw_key_type_name(t), out, err);
}

/* The passphrase handed to OpenSSL's PEM readers (none: an encrypted PEM fails to load). */
struct pem_pass {
    const char *p;
    size_t n;
    bool asked;
};

static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
    struct pem_pass *pp = u;
    (void)rwflag;
    if (pp == NULL || pp->p == NULL || size <= 0 || pp->n > (size_t)size) {
        return -1;
    }
    pp->asked = true;
    memcpy(buf, pp->p, pp->n);
    return (int)pp->n;
}

/* The first of the PEM blocks bulwark reads, by its BEGIN line; NULL when none. */
static const char *first_block(const char *pem, size_t n, int *kind)
{
    static const char *const begins[] = {
        "-----BEGIN PUBLIC KEY-----",            /* 0: SubjectPublicKeyInfo */
        "-----BEGIN PRIVATE KEY-----",           /* 1: PKCS#8 */
        "-----BEGIN ENCRYPTED PRIVATE KEY-----", /* 2: PKCS#8, PBES2 */
        "-----BEGIN EC PRIVATE KEY-----",        /* 3: SEC 1 (RFC 5915), maybe with legacy Proc-Type encryption */
    };
    const char *best = NULL;
    for (int i = 0; i < 4; i++) {
        const char *at = memmem(pem, n, begins[i], strlen(begins[i]));
        if (at != NULL && (best == NULL || at < best)) {
            best = at;
            *kind = i;
        }
    }
    return best;
}

bool bw_key_pem_encrypted(const char *pem, size_t n)
{
    int kind = -1;
    const char *at = first_block(pem, n, &kind);
    if (at == NULL) {
        return false;
    }
    if (kind == 2) {
        return true;
    }
    /* a legacy (OpenSSL traditional) encrypted SEC 1 key names its cipher in headers after BEGIN */
    size_t rest = n - (size_t)(at - pem);
    const char *end = memmem(at, rest, "-----END", 8);
    return kind == 3 && memmem(at, end != NULL ? (size_t)(end - at) : rest, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
}

bw_status bw_key_from_pem_pass(const char *pem, size_t n, const char *name, const char *pass, size_t passlen,
                               bw_key **out, bw_error *err)
{
    struct pem_pass pp = {pass, passlen, false};
    EVP_PKEY *pk = NULL;
    int kind = -1;
    bool priv, enc;
    BIO *bio;

    *out = NULL;
    name = name != NULL ? name : "key";
    if (n > (size_t)1 << 20) {
        return bw_fail(err, BW_ELIMIT, "%s: more than 1 MiB of PEM text", name);
    }
    if (passlen > 1024) {
        return bw_fail(err, BW_ELIMIT, "%s: a passphrase longer than 1024 bytes", name);
    }
    /* the PEM readers skip text before the block; which block comes first decides */
    if (first_block(pem, n, &kind) == NULL) {
        return bw_fail(err, BW_EFORMAT,
                       "%s: no PEM key (BEGIN PUBLIC KEY, PRIVATE KEY, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)", name);
    }
    priv = kind != 0;
    enc = bw_key_pem_encrypted(pem, n);
    if (enc && pass == NULL) {
        return bw_fail(err, BW_EUNSUPPORTED, "%s: an encrypted private key, and no passphrase to decrypt it", name);
    }
    bio = BIO_new_mem_buf(pem, (int)n);
    if (bio == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    pk = priv ? PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, enc ? &pp : NULL)
              : PEM_read_bio_PUBKEY(bio, NULL, pem_pass_cb, NULL);
    BIO_free(bio);
    if (pk == NULL) {
        ERR_clear_error();
        if (enc) {
            return bw_fail(err, BW_EVERIFY,
                           "%s: the encrypted private key does not decrypt (wrong passphrase, or damaged)", name);
        }
        return bw_fail(err, BW_EFORMAT, "%s: the PEM %s key does not parse", name, priv ? "private" : "public");
    }
    return wrap(pk, priv, name, out, err);
}

bw_status bw_key_from_pem(const char *pem, size_t n, const char *name, bw_key **out, bw_error *err)
{
    return bw_key_from_pem_pass(pem, n, name, NULL, 0, out, err);
}

bw_status bw_key_from_der(const void *der, size_t n, const char *name, bw_key **out, bw_error *err)
{
    const unsigned char *start = der, *p = der;
    PKCS8_PRIV_KEY_INFO *p8;
    EVP_PKEY *pk;

    *out = NULL;
    name = name != NULL ? name : "key";
    if (n > (size_t)1 << 16) {
        return bw_fail(err, BW_ELIMIT, "%s: more than 64 KiB of DER", name);
    }
    if (n == 0) {
        return bw_fail(err, BW_EFORMAT, "%s: no DER key (empty)", name);
    }
    /* both structures are a SEQUENCE; try the private form first, and insist on the whole input */
    p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
    if (p8 != NULL) {
        pk = p == start + n ? EVP_PKCS82PKEY(p8) : NULL;
        PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key octets as it frees them */
        if (pk == NULL) {
            ERR_clear_error();
            return bw_fail(err, BW_EFORMAT, "%s: the PKCS#8 private key does not parse", name);
        }
        return wrap(pk, true, name, out, err);
    }
    ERR_clear_error();
    p = start;
    pk = d2i_PUBKEY(NULL, &p, (long)n);
    if (pk == NULL || p != start + n) {
        EVP_PKEY_free(pk);
        ERR_clear_error();
        return bw_fail(err, BW_EFORMAT, "%s: not a DER PKCS#8 private key or SubjectPublicKeyInfo public key", name);
    }
    return wrap(pk, false, name, out, err);
}

bw_status bw_key_private_der(const bw_key *k, unsigned char *buf, size_t cap, size_t *len, bw_error *err)
{
    OSSL_ENCODER_CTX *ec;
    unsigned char *p = buf;
    size_t left = cap;
    int ok;

    *len = 0;
    if (!k->priv) {
        return bw_fail(err, BW_EINVAL, "a public key has no private half to encode");
    }
    /*
     * The encoder writes straight into buf; its scratch memory is a memory BIO, which OpenSSL clears
     * as it frees (BUF_MEM_free), so no copy of the key is left behind.
     */
    ec = OSSL_ENCODER_CTX_new_for_pkey(k->pk, OSSL_KEYMGMT_SELECT_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
    ok = ec != NULL && OSSL_ENCODER_CTX_get_num_encoders(ec) > 0 && OSSL_ENCODER_to_data(ec, &p, &left) == 1;
    OSSL_ENCODER_CTX_free(ec);
    ERR_clear_error();
    if (!ok || left > cap) {
        bw_wipe(buf, cap);
        return bw_fail(err, BW_ELIMIT, "the %s private key does not encode as PKCS#8 in %zu bytes",
                       bw_key_type_name(k->type), cap);
    }
    *len = cap - left;
    return BW_OK;
}

void bw_key_free(bw_key *k)
{
    if (k != NULL) {
        EVP_PKEY_free(k->pk); /* OpenSSL clears private key material as it frees it */
        bw_free(k);
    }
}

bw_key_type bw_key_get_type(const bw_key *k)
{
    return k->type;
}

bool bw_key_is_private(const bw_key *k)
{
    return k->priv;
}

bw_status bw_key_public_pem(const bw_key *k, bw_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL;
    long len;
    bw_status rc = BW_OK;

    if (bio == NULL) {
        return BW_ENOMEM;
    }
    if (PEM_write_bio_PUBKEY(bio, k->pk) != 1) {
        ERR_clear_error();
        rc = BW_ENOMEM;
    } else {
        len = BIO_get_mem_data(bio, &p);
        rc = len > 0 ? bw_buf_add(out, p, (size_t)len) : BW_ENOMEM;
    }
    BIO_free(bio);
    return rc;
}

bw_status bw_key_hint(const bw_key *k, char hex[65])
{
    bw_buf pem = BW_BUF_INIT(1 << 16);
    bw_digest d;
    char full[BW_DIGEST_HEX_MAX];
    bw_status rc = bw_key_public_pem(k, &pem);

    if (rc == BW_OK) {
        rc = bw_digest_bytes(BW_ALGO_SHA256, pem.ptr, pem.len, &d);
    }
    bw_buf_release(&pem);
    if (rc != BW_OK) {
        return rc;
    }
    bw_digest_hex(&d, full);
    memcpy(hex, full, 65); /* 64 hex digits of SHA-256 and the NUL */
    return BW_OK;
}

bw_status bw_key_sign(const bw_key *k, const void *msg, size_t n, bw_buf *sig, bw_error *err)
{
    EVP_MD_CTX *ctx;
    size_t len = 0;
    unsigned char buf[160]; /* a DER P-521 signature is at most 139 bytes */
    bw_status rc = BW_OK;

    if (!k->priv) {
        return bw_fail(err, BW_EINVAL, "a public key cannot sign");
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    len = sizeof(buf);
    if (EVP_DigestSignInit(ctx, NULL, key_md(k->type), NULL, k->pk) != 1 ||
        EVP_DigestSign(ctx, buf, &len, msg, n) != 1) {
        ERR_clear_error();
        rc = bw_fail(err, BW_EIO, "signing with the %s key failed", bw_key_type_name(k->type));
    } else {
        rc = bw_buf_add(sig, buf, len);
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* A raw r||s ECDSA signature as DER, in der[cap]; 0 when it cannot be. */
static size_t raw_to_der(const unsigned char *raw, size_t half, unsigned char *der, size_t cap)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)half, NULL), *s = BN_bin2bn(raw + half, (int)half, NULL);
    size_t out = 0;

    if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        int len = i2d_ECDSA_SIG(es, NULL);
        if (len > 0 && (size_t)len <= cap) {
            unsigned char *p = der;
            out = (size_t)i2d_ECDSA_SIG(es, &p);
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return out;
}

/* True when sig is exactly one DER ECDSA-Sig-Value. */
static bool is_der(const unsigned char *sig, size_t n)
{
    const unsigned char *p = sig;
    ECDSA_SIG *es;
    bool ok;

    if (n < 8 || sig[0] != 0x30 || n > 160) {
        return false;
    }
    es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    ok = es != NULL && p == sig + n;
    ECDSA_SIG_free(es);
    return ok;
}

bw_status bw_key_verify(const bw_key *k, const void *msg, size_t n, const void *sig, size_t siglen)
{
    const unsigned char *s = sig;
    unsigned char der[160];
    EVP_MD_CTX *ctx;
    int ok;

    if (k->type != BW_KEY_ED25519 && !is_der(s, siglen)) {
        size_t half = ec_size(k->type);
        if (siglen != 2 * half || (siglen = raw_to_der(s, half, der, sizeof(der))) == 0) {
            ERR_clear_error();
            return BW_EVERIFY;
        }
        s = der;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return BW_ENOMEM;
    }
    ok = EVP_DigestVerifyInit(ctx, NULL, key_md(k->type), NULL, k->pk) == 1 &&
         EVP_DigestVerify(ctx, s, siglen, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok ? BW_OK : BW_EVERIFY;
}
