/*
 * test_keystore.c - the key store (lib/trust/keystore.c) and the DER helpers it
 * uses (lib/trust/key.c): round trips of every key type with and without a
 * passphrase, a wrong passphrase, tampering with the ciphertext, salt, nonce,
 * cost and each header field bound as associated data, malformed key files,
 * names that try to leave the directory, keys made by OpenSSL's own API
 * imported as PEM, listing, deleting and the file modes. Argon2id runs with
 * 1 pass over 8 KiB here, except for one key made with the defaults.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bulwark/bw_keystore.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

#define PASS "correct horse battery staple"
#define CREATED 1714564800 /* 2024-05-01T12:00:00Z */

static const bw_key_type all_types[] = {BW_KEY_P256, BW_KEY_P384, BW_KEY_P521, BW_KEY_ED25519};

static bw_keystore *open_store(const char *dir)
{
    bw_keystore_opts o = BW_KEYSTORE_OPTS_INIT;
    bw_keystore *ks = NULL;
    bw_error err = {0};

    o.kdf_ops = 1;
    o.kdf_mem = 8192;
    o.created = CREATED;
    if (bw_keystore_open(&ks, dir, &o, &err) != BW_OK) {
        fprintf(stderr, "bw_keystore_open: %s\n", err.msg);
        exit(2);
    }
    return ks;
}

static char *pem_of(const bw_key *k)
{
    bw_buf b = BW_BUF_INIT(1 << 16);
    char *s = NULL;
    if (bw_key_public_pem(k, &b) != BW_OK || bw_buf_take(&b, &s, NULL) != BW_OK) {
        exit(2);
    }
    return s;
}

/* k signs, pub verifies, and a changed message does not */
static bool signs_for(const bw_key *k, const bw_key *pub)
{
    bw_buf sig = BW_BUF_INIT(1024);
    bw_error err = {0};
    bool ok = bw_key_sign(k, "hello", 5, &sig, &err) == BW_OK &&
              bw_key_verify(pub, "hello", 5, sig.ptr, sig.len) == BW_OK &&
              bw_key_verify(pub, "hellO", 5, sig.ptr, sig.len) == BW_EVERIFY;
    bw_buf_release(&sig);
    return ok;
}

static void test_names(void)
{
    static const char *good[] = {
        "a",       "release", "ci-2024.p256",
        "A_B-c.d", "0",       "1234567890123456789012345678901234567890123456789012345678901234"};
    static const char *bad[] = {
        "",    ".",     "..", ".hidden", "../x", "a/b",
        "a b", "key\n", "ü",  "a\\b",    "x:y",  "12345678901234567890123456789012345678901234567890123456789012345"};
    for (size_t i = 0; i < BW_ARRAY_LEN(good); i++) {
        ok(bw_keystore_name_valid(good[i]), "name '%s' is valid", good[i]);
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        ok(!bw_keystore_name_valid(bad[i]), "name #%zu is refused", i);
    }
    ok(!bw_keystore_name_valid(NULL), "NULL name is refused");
}

static void test_der(void)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(all_types); i++) {
        bw_key *k = NULL, *back = NULL;
        unsigned char der[BW_KEY_DER_MAX + 1];
        size_t len = 0;
        bw_error err = {0};
        const char *tn = bw_key_type_name(all_types[i]);

        ok(bw_key_generate(all_types[i], &k, &err) == BW_OK, "%s: generated", tn);
        ok(bw_key_private_der(k, der, BW_KEY_DER_MAX, &len, &err) == BW_OK, "%s: PKCS#8 DER (%s)", tn, err.msg);
        is_int(der[0], 0x30, "%s: DER starts with a SEQUENCE", tn);
        ok(bw_key_from_der(der, len, "der", &back, &err) == BW_OK && bw_key_is_private(back), "%s: DER reads back", tn);
        if (back != NULL) {
            char *a = pem_of(k), *b = pem_of(back);
            is_str(b, a, "%s: same public key after the DER round trip", tn);
            ok(signs_for(back, k), "%s: the read-back key signs for the original", tn);
            free(a);
            free(b);
            bw_key_free(back);
            back = NULL;
        }
        der[len] = 0;
        bw_error_clear(&err);
        is_int(bw_key_from_der(der, len + 1, "der", &back, &err), BW_EFORMAT, "%s: a trailing byte is refused", tn);
        ok(back == NULL && err.msg[0] != '\0', "%s: ... with a message", tn);
        bw_error_clear(&err);
        is_int(bw_key_private_der(k, der, 16, &len, &err), BW_ELIMIT, "%s: a 16-byte buffer is too small", tn);
        bw_key_free(k);
    }
    /* SubjectPublicKeyInfo DER, straight from OpenSSL */
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(pk, &spki);
    bw_key *pub = NULL;
    bw_error err = {0};
    ok(n > 0 && bw_key_from_der(spki, (size_t)n, "spki", &pub, &err) == BW_OK, "SPKI DER reads (%s)", err.msg);
    ok(pub != NULL && !bw_key_is_private(pub) && bw_key_get_type(pub) == BW_KEY_ED25519, "as a public Ed25519 key");
    unsigned char buf[BW_KEY_DER_MAX];
    size_t len = 0;
    bw_error_clear(&err);
    is_int(bw_key_private_der(pub, buf, sizeof(buf), &len, &err), BW_EINVAL, "a public key has no PKCS#8 form");
    bw_key_free(pub);
    OPENSSL_free(spki);
    EVP_PKEY_free(pk);
    bw_error_clear(&err);
    is_int(bw_key_from_der("", 0, "empty", &pub, &err), BW_EFORMAT, "empty DER");
    is_int(bw_key_from_der("\x30\x03\x02\x01\x00", 5, "junk", &pub, &err), BW_EFORMAT, "a SEQUENCE that is no key");
}

static void test_round_trips(const char *dir)
{
    bw_keystore *ks = open_store(dir);

    for (size_t i = 0; i < BW_ARRAY_LEN(all_types); i++) {
        for (int enc = 0; enc < 2; enc++) {
            const char *tn = bw_key_type_name(all_types[i]);
            char name[64];
            bw_key *made = NULL, *priv = NULL, *pub = NULL;
            bw_keystore_entry e;
            bw_error err = {0};
            char hint[65];

            snprintf(name, sizeof(name), "%s-%s", tn, enc ? "sealed" : "clear");
            ok(bw_keystore_generate(ks, name, all_types[i], enc ? PASS : NULL, enc ? strlen(PASS) : 0, 0, &made,
                                    &err) == BW_OK,
               "%s: created (%s)", name, err.msg);
            if (made == NULL) {
                continue;
            }
            ok(bw_keystore_info(ks, name, &e, &err) == BW_OK, "%s: info", name);
            is_str(e.name, name, "%s: name recorded", name);
            is_int(e.type, all_types[i], "%s: type recorded", name);
            is_int(e.created, CREATED, "%s: created time recorded", name);
            is_int(e.encrypted, enc, "%s: encrypted flag", name);
            is_int(e.public_only, 0, "%s: not public-only", name);
            is_int(e.kdf_ops, enc ? 1 : 0, "%s: Argon2id passes recorded", name);
            is_int(e.kdf_mem, enc ? 8192 : 0, "%s: Argon2id memory recorded", name);
            ok(bw_key_hint(made, hint) == BW_OK, "hint");
            is_str(e.hint, hint, "%s: the hint is bw_key_hint of the key", name);

            ok(bw_keystore_load(ks, name, true, enc ? PASS : NULL, enc ? strlen(PASS) : 0, &priv, &err) == BW_OK,
               "%s: private key loads (%s)", name, err.msg);
            ok(bw_keystore_load(ks, name, false, NULL, 0, &pub, &err) == BW_OK,
               "%s: public key loads without passphrase", name);
            if (priv != NULL && pub != NULL) {
                char *a = pem_of(made), *b = pem_of(priv), *c = pem_of(pub);
                ok(bw_key_is_private(priv) && !bw_key_is_private(pub), "%s: private and public as asked", name);
                is_str(b, a, "%s: the loaded private key is the one made", name);
                is_str(c, a, "%s: the loaded public key is the one made", name);
                ok(signs_for(priv, pub), "%s: loaded key signs, loaded public key verifies", name);
                free(a);
                free(b);
                free(c);
            }
            bw_key_free(priv);
            bw_key_free(pub);
            priv = NULL;
            if (enc) {
                bw_error_clear(&err);
                is_int(bw_keystore_load(ks, name, true, "wrong", 5, &priv, &err), BW_EVERIFY,
                       "%s: a wrong passphrase is BW_EVERIFY", name);
                like(err.msg, "wrong passphrase or damaged key file", "%s: ... saying so", name);
                like(err.msg, name, "%s: ... naming the file", name);
                ok(priv == NULL, "%s: ... and gives no key", name);
                bw_error_clear(&err);
                is_int(bw_keystore_load(ks, name, true, NULL, 0, &priv, &err), BW_EINVAL,
                       "%s: no passphrase for a sealed key is BW_EINVAL", name);
                like(err.msg, "passphrase is needed", "%s: ... saying a passphrase is needed", name);
            }
            bw_key_free(made);
        }
    }
    bw_keystore_free(ks);
}

/* One key with the default Argon2id cost, 3 passes over 64 MiB, recorded as such. */
static void test_default_cost(const char *dir)
{
    bw_keystore *ks = NULL;
    bw_keystore_entry e;
    bw_key *k = NULL;
    bw_error err = {0};

    ok(bw_keystore_open(&ks, dir, NULL, &err) == BW_OK, "open with defaults");
    ok(bw_keystore_generate(ks, "defaults", BW_KEY_ED25519, PASS, strlen(PASS), 0, NULL, &err) == BW_OK,
       "created with default cost");
    ok(bw_keystore_info(ks, "defaults", &e, &err) == BW_OK, "info");
    is_int(e.kdf_ops, 3, "default passes recorded");
    is_int(e.kdf_mem, 64 << 20, "default memory recorded");
    ok(bw_keystore_load(ks, "defaults", true, PASS, strlen(PASS), &k, &err) == BW_OK, "loads");
    bw_key_free(k);
    ok(bw_keystore_delete(ks, "defaults", &err) == BW_OK, "deleted");
    bw_keystore_free(ks);

    bw_keystore_opts o = BW_KEYSTORE_OPTS_INIT;
    o.kdf_ops = 65;
    bw_error_clear(&err);
    is_int(bw_keystore_open(&ks, dir, &o, &err), BW_EINVAL, "65 passes is over the bound");
    o.kdf_ops = 1;
    o.kdf_mem = 4096;
    is_int(bw_keystore_open(&ks, dir, &o, &err), BW_EINVAL, "4 KiB is under the bound");
    o.kdf_mem = 0;
    o.version = 99;
    is_int(bw_keystore_open(&ks, dir, &o, &err), BW_EINVAL, "unknown options version");
}

/* ---- tampering ------------------------------------------------------------------------- */

static char *file_of(const char *dir, const char *name, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.key", dir, name);
    return tu_read(path, n);
}

/* The key file with one member changed (dotted path, e.g. "private_key.kdf.salt"), serialised again. */
static char *with_member(const char *doc, const char *path, json_t *value)
{
    json_error_t je;
    json_t *root = json_loads(doc, 0, &je), *o = root;
    char buf[256], *dot, *key = buf;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = '\0';
        o = json_object_get(o, key);
        key = dot + 1;
    }
    if (value == NULL) {
        json_object_del(o, key);
    } else {
        json_object_set_new(o, key, value);
    }
    char *s = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    return s;
}

/* A base64 member with its first character changed to another valid one. */
static char *flip_b64(const char *doc, const char *path)
{
    json_error_t je;
    json_t *root = json_loads(doc, 0, &je), *o = root;
    char buf[256], *dot, *key = buf;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = '\0';
        o = json_object_get(o, key);
        key = dot + 1;
    }
    char *v = strdup(json_string_value(json_object_get(o, key)));
    v[0] = v[0] == 'A' ? 'B' : 'A';
    json_object_set_new(o, key, json_string(v));
    free(v);
    char *s = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    return s;
}

static bw_status unseal_str(const char *doc, const char *pass, bw_error *err)
{
    bw_key *k = NULL;
    bw_error_clear(err);
    bw_status rc = bw_keystore_unseal(doc, strlen(doc), "t.key", true, pass, pass != NULL ? strlen(pass) : 0, &k, err);
    bw_key_free(k);
    return rc;
}

static void test_tamper(const char *dir)
{
    bw_keystore *ks = open_store(dir);
    bw_key *other = NULL;
    bw_error err = {0};
    char *doc, *t;

    ok(bw_keystore_generate(ks, "victim", BW_KEY_P256, PASS, strlen(PASS), 0, NULL, &err) == BW_OK, "victim made");
    ok(bw_keystore_generate(ks, "plain", BW_KEY_P256, NULL, 0, 0, NULL, &err) == BW_OK, "clear key made");
    ok(bw_key_generate(BW_KEY_P256, &other, &err) == BW_OK, "another P-256 key");
    doc = file_of(dir, "victim", NULL);
    ok(doc != NULL, "victim file read");
    if (doc == NULL) {
        bw_keystore_free(ks);
        return;
    }
    is_int(unseal_str(doc, PASS, &err), BW_OK, "the untouched file unseals (%s)", err.msg);

    static const char *b64_fields[] = {"private_key.ciphertext", "private_key.nonce", "private_key.kdf.salt"};
    for (size_t i = 0; i < BW_ARRAY_LEN(b64_fields); i++) {
        t = flip_b64(doc, b64_fields[i]);
        is_int(unseal_str(t, PASS, &err), BW_EVERIFY, "changed %s is detected", b64_fields[i]);
        like(err.msg, "wrong passphrase or damaged key file", "... as damage");
        free(t);
    }
    /* the header fields are associated data */
    t = with_member(doc, "name", json_string("attacker"));
    is_int(unseal_str(t, PASS, &err), BW_EVERIFY, "changed name is detected");
    free(t);
    t = with_member(doc, "created", json_string("2030-01-01T00:00:00Z"));
    is_int(unseal_str(t, PASS, &err), BW_EVERIFY, "changed created time is detected");
    free(t);
    char *opem = pem_of(other);
    t = with_member(doc, "public_key", json_string(opem));
    is_int(unseal_str(t, PASS, &err), BW_EVERIFY, "swapped public key is detected");
    free(t);
    t = with_member(doc, "private_key.kdf.opslimit", json_integer(2));
    is_int(unseal_str(t, PASS, &err), BW_EVERIFY, "changed Argon2id passes are detected");
    free(t);
    t = with_member(doc, "type", json_string("p384"));
    is_int(unseal_str(t, PASS, &err), BW_EFORMAT, "a type that contradicts the public key is a format error");
    like(err.msg, "'type' says p384 but the public key is p256", "... saying so");
    free(t);
    /* the public key of the unencrypted file can be swapped, but the check on load catches it */
    char *plain = file_of(dir, "plain", NULL);
    t = with_member(plain, "public_key", json_string(opem));
    is_int(unseal_str(t, NULL, &err), BW_EVERIFY, "a clear key with a swapped public key is caught");
    like(err.msg, "does not match the recorded public key", "... saying so");
    free(t);
    /* ... and public-only loading of it still works (nothing there to check against) */
    free(plain);
    free(opem);

    /* a file copied to another name */
    size_t n = 0;
    char *bytes = file_of(dir, "victim", &n);
    tu_write(dir, "copy.key", bytes, n);
    free(bytes);
    bw_key *k = NULL;
    bw_error_clear(&err);
    is_int(bw_keystore_load(ks, "copy", true, PASS, strlen(PASS), &k, &err), BW_EFORMAT,
           "a renamed key file is refused");
    like(err.msg, "holds key 'victim', not 'copy'", "... saying whose key it is");
    ok(k == NULL, "... no key");

    free(doc);
    bw_key_free(other);
    bw_keystore_free(ks);
}

/* ---- malformed files ---------------------------------------------------------------- */

static void test_malformed(const char *dir)
{
    char *doc = file_of(dir, "victim", NULL);
    bw_keystore_entry e;
    bw_error err = {0};
    char *t;

    if (doc == NULL) {
        ok(0, "victim file");
        return;
    }
    is_int(bw_keystore_parse("{\"format\":", 10, "x.key", &e, &err), BW_EFORMAT, "truncated JSON");
    like(err.msg, "key file 'x.key': not valid JSON (line 1", "... with the file and the line");
    is_int((long long)err.offset, 10, "... and the byte offset");
    bw_error_clear(&err);
    is_int(bw_keystore_parse("[]", 2, "x.key", &e, &err), BW_EFORMAT, "an array");
    bw_error_clear(&err);
    is_int(bw_keystore_parse("", 0, "x.key", &e, &err), BW_EFORMAT, "empty");

    struct {
        const char *path;
        json_t *value; /* NULL: remove */
        bw_status want;
        const char *msg;
    } cases[] = {
        {"version", json_integer(2), BW_EUNSUPPORTED, "version 2 is not supported"},
        {"version", json_string("1"), BW_EFORMAT, "'version' is missing"},
        {"version", NULL, BW_EFORMAT, "'version' is missing"},
        {"format", json_string("other"), BW_EFORMAT, "not a bulwark key file"},
        {"extra", json_true(), BW_EFORMAT, "unknown field 'extra' in the document"},
        {"name", json_string("../etc"), BW_EFORMAT, "'name' is missing or not a valid key name"},
        {"type", json_string("rsa"), BW_EFORMAT, "'type' is missing or not one of"},
        {"created", json_string("2024-02-30T00:00:00Z"), BW_EFORMAT, "'created' is missing"},
        {"created", json_integer(5), BW_EFORMAT, "'created' is missing"},
        {"public_key", json_string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), BW_EFORMAT,
         "the PEM public key does not parse"},
        {"private_key", json_string("x"), BW_EFORMAT, "'private_key' is not an object"},
        {"private_key.encryption", json_string("rot13"), BW_EUNSUPPORTED, "encryption 'rot13' is not supported"},
        {"private_key.more", json_true(), BW_EFORMAT, "unknown field 'more' in 'private_key'"},
        {"private_key.kdf.algorithm", json_string("scrypt"), BW_EUNSUPPORTED, "the key derivation is not argon2id13"},
        {"private_key.kdf.opslimit", json_integer(0), BW_EFORMAT, "'opslimit' is 0, outside 1..64"},
        {"private_key.kdf.memlimit", json_integer((json_int_t)1 << 40), BW_EFORMAT,
         "'memlimit' is 1099511627776, outside 8192..1073741824"},
        {"private_key.kdf.memlimit", json_real(8192.0), BW_EFORMAT, "'memlimit' is missing or not an integer"},
        {"private_key.kdf.salt", json_string("AAAA"), BW_EFORMAT, "'salt' is 3 bytes, not 16"},
        {"private_key.kdf.salt", json_string("!!!!"), BW_EFORMAT, "'salt' is not base64 (character 1)"},
        {"private_key.nonce", json_string("AAAAAAAAAAAAAAAAAAAAAAAA"), BW_EFORMAT, "'nonce' is 18 bytes, not 24"},
        {"private_key.ciphertext", json_string("AAAA"), BW_EFORMAT, "'ciphertext' is 3 bytes, not 48 to 528"},
        {"private_key.ciphertext", NULL, BW_EFORMAT, "'ciphertext' is missing"},
        {"private_key.kdf", json_integer(1), BW_EFORMAT, "'private_key.kdf' is missing or not an object"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        t = with_member(doc, cases[i].path, cases[i].value);
        bw_error_clear(&err);
        is_int(bw_keystore_parse(t, strlen(t), "t.key", &e, &err), cases[i].want, "%s changed: refused", cases[i].path);
        like(err.msg, cases[i].msg, "... %s", cases[i].msg);
        like(err.msg, "key file 't.key'", "... naming the file");
        free(t);
    }
    /* a public-only document holding a private PEM as its "public" key */
    bw_key *k = NULL;
    bw_buf pem = BW_BUF_INIT(1 << 16);
    unsigned char der[BW_KEY_DER_MAX];
    size_t len = 0;
    if (bw_key_generate(BW_KEY_ED25519, &k, &err) == BW_OK &&
        bw_key_private_der(k, der, sizeof(der), &len, &err) == BW_OK) {
        EVP_PKEY *pk = NULL;
        const unsigned char *p = der;
        pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
        BIO *bio = BIO_new(BIO_s_mem());
        char *mem = NULL;
        PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
        long ml = BIO_get_mem_data(bio, &mem);
        char *privpem = strndup(mem, (size_t)ml);
        t = with_member(doc, "public_key", json_string(privpem));
        char *t2 = with_member(t, "type", json_string("ed25519"));
        bw_error_clear(&err);
        is_int(bw_keystore_parse(t2, strlen(t2), "t.key", &e, &err), BW_EFORMAT, "a private key as the public key");
        like(err.msg, "holds a private key", "... is refused");
        free(t);
        free(t2);
        free(privpem);
        BIO_free(bio);
        EVP_PKEY_free(pk);
    }
    bw_buf_release(&pem);
    bw_key_free(k);

    /* over the size limit */
    size_t big = (64 << 10) + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    bw_error_clear(&err);
    is_int(bw_keystore_parse(huge, big, "big.key", &e, &err), BW_ELIMIT, "65537 bytes is over the limit");
    free(huge);
    /* a damaged file on disk, read through the store */
    bw_keystore *ks = open_store(dir);
    tu_write_str(dir, "broken.key", "{\"format\":\"bulwark-key\",\"version\":1}");
    bw_error_clear(&err);
    bw_key *kk = NULL;
    is_int(bw_keystore_load(ks, "broken", false, NULL, 0, &kk, &err), BW_EFORMAT, "damaged file on disk");
    like(err.msg, "broken.key': 'name' is missing", "... names the file and the field");
    char *broken = tu_join(dir, "broken.key");
    unlink(broken);
    free(broken);
    bw_keystore_free(ks);
    free(doc);
}

/* ---- imports ---------------------------------------------------------------------------- */

static char *openssl_pem(EVP_PKEY *pk, bool priv)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *mem = NULL, *s;
    if (priv) {
        PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL); /* PKCS#8 "PRIVATE KEY" */
    } else {
        PEM_write_bio_PUBKEY(bio, pk);
    }
    long n = BIO_get_mem_data(bio, &mem);
    s = strndup(mem, (size_t)n);
    BIO_free(bio);
    return s;
}

static void test_import(const char *dir)
{
    static const struct {
        const char *alg, *curve;
        bw_key_type t;
    } gen[] = {
        {"EC", "P-256", BW_KEY_P256},
        {"EC", "P-384", BW_KEY_P384},
        {"EC", "P-521", BW_KEY_P521},
        {"ED25519", NULL, BW_KEY_ED25519},
    };
    bw_keystore *ks = open_store(dir);
    bw_error err = {0};

    for (size_t i = 0; i < BW_ARRAY_LEN(gen); i++) {
        EVP_PKEY *pk = gen[i].curve != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, gen[i].alg, gen[i].curve)
                                            : EVP_PKEY_Q_keygen(NULL, NULL, gen[i].alg);
        char *priv = openssl_pem(pk, true), *pub = openssl_pem(pk, false);
        char name[32], pname[32];
        bw_key *k = NULL, *kp = NULL;
        bw_keystore_entry e;
        const char *tn = bw_key_type_name(gen[i].t);

        snprintf(name, sizeof(name), "imp-%s", tn);
        snprintf(pname, sizeof(pname), "pub-%s", tn);
        ok(bw_keystore_import_pem(ks, name, priv, strlen(priv), "openssl.pem", PASS, strlen(PASS), 0, &err) == BW_OK,
           "%s: OpenSSL's PKCS#8 PEM imports (%s)", tn, err.msg);
        ok(bw_keystore_load(ks, name, true, PASS, strlen(PASS), &k, &err) == BW_OK, "%s: and loads", tn);
        ok(bw_keystore_import_pem(ks, pname, pub, strlen(pub), "openssl.pub", PASS, strlen(PASS), 0, &err) == BW_OK,
           "%s: OpenSSL's SPKI PEM imports", tn);
        ok(bw_keystore_info(ks, pname, &e, &err) == BW_OK && e.public_only && !e.encrypted && e.type == gen[i].t,
           "%s: as a public-only entry of the right type", tn);
        ok(bw_keystore_load(ks, pname, false, NULL, 0, &kp, &err) == BW_OK, "%s: public key loads", tn);
        if (k != NULL && kp != NULL) {
            char *a = pem_of(kp);
            is_str(a, pub, "%s: the stored public key is OpenSSL's, byte for byte", tn);
            ok(signs_for(k, kp), "%s: imported private key signs for the imported public key", tn);
            free(a);
        }
        bw_key_free(kp);
        kp = NULL;
        bw_error_clear(&err);
        is_int(bw_keystore_load(ks, pname, true, NULL, 0, &kp, &err), BW_EINVAL, "%s: no private key in a public entry",
               tn);
        like(err.msg, "holds only a public key", "... saying so");
        bw_key_free(k);
        free(priv);
        free(pub);
        EVP_PKEY_free(pk);
    }
    /* RSA, an encrypted PEM and junk are refused */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *rsapem = openssl_pem(rsa, false);
    bw_error_clear(&err);
    is_int(bw_keystore_import_pem(ks, "rsa", rsapem, strlen(rsapem), "rsa.pub", NULL, 0, 0, &err), BW_EUNSUPPORTED,
           "an RSA key is not supported");
    like(err.msg, "RSA keys are not supported", "... saying so");
    BIO *bio = BIO_new(BIO_s_mem());
    char *mem = NULL;
    PEM_write_bio_PKCS8PrivateKey(bio, rsa, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"pw");
    long n = BIO_get_mem_data(bio, &mem);
    bw_error_clear(&err);
    is_int(bw_keystore_import_pem(ks, "encpem", mem, (size_t)n, "enc.pem", NULL, 0, 0, &err), BW_EUNSUPPORTED,
           "an encrypted PEM is refused");
    BIO_free(bio);
    free(rsapem);
    EVP_PKEY_free(rsa);
    bw_error_clear(&err);
    is_int(bw_keystore_import_pem(ks, "junk", "hello", 5, "junk.pem", NULL, 0, 0, &err), BW_EFORMAT, "junk is refused");
    bw_keystore_entry e;
    is_int(bw_keystore_info(ks, "junk", &e, &err), BW_ENOTFOUND, "... and nothing was stored");
    bw_keystore_free(ks);
}

/* ---- directory: list, delete, names, modes, replace ---------------------------------- */

static void test_store(const char *base)
{
    char *dir = tu_join(base, "keys");
    bw_keystore *ks = open_store(dir);
    bw_keystore_entry *v = NULL, e;
    size_t n = 99;
    bw_error err = {0};
    bw_key *k = NULL;
    struct stat st;

    ok(bw_keystore_list(ks, &v, &n, &err) == BW_OK && n == 0 && v == NULL, "a missing directory lists empty");
    ok(bw_keystore_generate(ks, "b-key", BW_KEY_ED25519, PASS, strlen(PASS), 0, NULL, &err) == BW_OK, "b-key");
    ok(bw_keystore_generate(ks, "a-key", BW_KEY_P256, NULL, 0, 0, NULL, &err) == BW_OK, "a-key");
    ok(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "the directory is made with mode 0700 (%o)",
       (unsigned)(st.st_mode & 07777));
    char *p = tu_join(dir, "a-key.key");
    ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "a clear key file has mode 0600 (%o)",
       (unsigned)(st.st_mode & 07777));
    free(p);
    p = tu_join(dir, "b-key.key");
    ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "a sealed key file has mode 0600");
    free(p);

    tu_write_str(dir, "c-bad.key", "not json");
    tu_write_str(dir, ".hidden.key", "{}");
    tu_write_str(dir, "notes.txt", "x");
    ok(bw_keystore_list(ks, &v, &n, &err) == BW_OK, "listed");
    is_int(n, 3, "three key files (hidden and other files left out)");
    if (n == 3) {
        is_str(v[0].name, "a-key", "sorted: a-key first");
        is_int(v[0].status, BW_OK, "a-key parses");
        ok(!v[0].encrypted && !v[0].public_only && v[0].type == BW_KEY_P256, "a-key: clear P-256");
        is_str(v[1].name, "b-key", "b-key second");
        ok(v[1].encrypted && v[1].type == BW_KEY_ED25519, "b-key: sealed Ed25519");
        is_str(v[2].name, "c-bad", "the damaged file is listed");
        is_int(v[2].status, BW_EFORMAT, "... with its status");
        like(v[2].error, "c-bad.key': not valid JSON", "... and message");
    }
    bw_free(v);

    /* an existing name is kept unless forced */
    char before[65];
    ok(bw_keystore_info(ks, "a-key", &e, &err) == BW_OK, "info a-key");
    memcpy(before, e.hint, sizeof(before));
    bw_error_clear(&err);
    is_int(bw_keystore_generate(ks, "a-key", BW_KEY_P256, NULL, 0, 0, NULL, &err), BW_EINVAL,
           "an existing key is kept");
    like(err.msg, "key 'a-key' already exists", "... saying so");
    ok(bw_keystore_info(ks, "a-key", &e, &err) == BW_OK && strcmp(e.hint, before) == 0, "... unchanged");
    ok(bw_keystore_generate(ks, "a-key", BW_KEY_P384, NULL, 0, BW_KEYSTORE_FORCE, NULL, &err) == BW_OK,
       "BW_KEYSTORE_FORCE replaces it");
    ok(bw_keystore_info(ks, "a-key", &e, &err) == BW_OK && strcmp(e.hint, before) != 0 && e.type == BW_KEY_P384,
       "... with a new P-384 key");
    bw_error_clear(&err);
    is_int(bw_keystore_generate(ks, "empty-pass", BW_KEY_P256, "", 0, 0, NULL, &err), BW_EINVAL,
           "an empty passphrase is refused");

    /* names that would leave the directory */
    static const char *bad[] = {"../escape", "/etc/passwd", ".hidden", "", "a/b"};
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        bw_error_clear(&err);
        is_int(bw_keystore_generate(ks, bad[i], BW_KEY_P256, NULL, 0, 0, NULL, &err), BW_EINVAL, "generate '%s'",
               bad[i]);
        like(err.msg, "is not a valid key name", "... bad name");
        is_int(bw_keystore_load(ks, bad[i], false, NULL, 0, &k, &err), BW_EINVAL, "load '%s'", bad[i]);
        is_int(bw_keystore_delete(ks, bad[i], &err), BW_EINVAL, "delete '%s'", bad[i]);
        is_int(bw_keystore_info(ks, bad[i], &e, &err), BW_EINVAL, "info '%s'", bad[i]);
    }
    p = tu_join(base, "escape.key");
    ok(stat(p, &st) != 0, "nothing was written outside the directory");
    free(p);

    ok(bw_keystore_delete(ks, "b-key", &err) == BW_OK, "b-key deleted");
    bw_error_clear(&err);
    is_int(bw_keystore_load(ks, "b-key", false, NULL, 0, &k, &err), BW_ENOTFOUND, "... and gone");
    like(err.msg, "no key 'b-key' in", "... saying so");
    is_int(bw_keystore_delete(ks, "b-key", &err), BW_ENOTFOUND, "deleting it again: BW_ENOTFOUND");
    ok(bw_keystore_list(ks, &v, &n, &err) == BW_OK && n == 2, "two files left");
    bw_free(v);
    is_str(bw_keystore_dir(ks), dir, "bw_keystore_dir");
    bw_keystore_free(ks);
    free(dir);
}

static void test_rekey(const char *base)
{
    char *dir = tu_join(base, "rekey");
    bw_keystore *ks = open_store(dir);
    bw_keystore_opts o = BW_KEYSTORE_OPTS_INIT;
    bw_keystore *later = NULL;
    bw_keystore_entry e;
    bw_key *k = NULL, *made = NULL;
    bw_error err = {0};

    ok(bw_keystore_generate(ks, "r", BW_KEY_P384, PASS, strlen(PASS), 0, &made, &err) == BW_OK, "made");
    o.kdf_ops = 2;
    o.kdf_mem = 16384;
    o.created = CREATED + 1000;
    ok(bw_keystore_open(&later, dir, &o, &err) == BW_OK, "a store with another cost and time");
    is_int(bw_keystore_rekey(later, "r", "wrong", 5, "new", 3, &err), BW_EVERIFY, "rekey with a wrong passphrase");
    ok(bw_keystore_rekey(later, "r", PASS, strlen(PASS), "new", 3, &err) == BW_OK, "rekey (%s)", err.msg);
    ok(bw_keystore_info(later, "r", &e, &err) == BW_OK, "info");
    is_int(e.created, CREATED, "the creation time stays");
    ok(e.kdf_ops == 2 && e.kdf_mem == 16384 && e.encrypted, "the new cost is recorded");
    bw_error_clear(&err);
    is_int(bw_keystore_load(ks, "r", true, PASS, strlen(PASS), &k, &err), BW_EVERIFY, "the old passphrase fails");
    ok(bw_keystore_load(ks, "r", true, "new", 3, &k, &err) == BW_OK && signs_for(k, made),
       "the new one opens the same key");
    bw_key_free(k);
    k = NULL;
    ok(bw_keystore_rekey(later, "r", "new", 3, NULL, 0, &err) == BW_OK, "rekey to unencrypted");
    ok(bw_keystore_info(later, "r", &e, &err) == BW_OK && !e.encrypted && e.kdf_ops == 0, "now unencrypted");
    ok(bw_keystore_load(ks, "r", true, NULL, 0, &k, &err) == BW_OK && signs_for(k, made), "loads without passphrase");
    bw_key_free(k);
    k = NULL;
    char *pub = pem_of(made);
    ok(bw_keystore_import_pem(ks, "p", pub, strlen(pub), "p.pub", NULL, 0, 0, &err) == BW_OK, "public key imported");
    free(pub);
    bw_error_clear(&err);
    is_int(bw_keystore_rekey(ks, "p", NULL, 0, "x", 1, &err), BW_EINVAL, "a public-only key cannot be rekeyed");
    bw_key_free(made);
    bw_keystore_free(later);
    bw_keystore_free(ks);
    free(dir);
}

int main(void)
{
    char *dir = tu_tmpdir();
    test_names();
    test_der();
    test_round_trips(dir);
    test_default_cost(dir);
    test_tamper(dir);
    test_malformed(dir);
    test_import(dir);
    test_store(dir);
    test_rekey(dir);
    tu_rm_rf(dir);
    free(dir);
    return done_testing();
}
