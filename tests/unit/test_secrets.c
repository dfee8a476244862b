/*
 * test_secrets.c - the secrets and personal-data scanner: custom rules,
 * engine gates and overlaps, chunked reading (every match once, right
 * lines), inline ignores, line ranges, notebooks, archives, Kubernetes
 * Secrets, datasets (column context, summaries), the database cache,
 * fingerprints and redaction. Rules here come from YAML (replace-defaults),
 * so the test does not depend on the built-in set.
 */
#include <zlib.h>

#include "scan/sengine.h"
#include "scan/srules_yaml.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static char *tmp;

static const char rules_yaml[] = "replace-defaults: true\n"
                                 "rules:\n"
                                 "  - id: acme-key\n"
                                 "    description: ACME key\n"
                                 "    provider: ACME\n"
                                 "    severity: critical\n"
                                 "    regex: 'acme_([a-z0-9]{16})'\n"
                                 "    secret-group: 1\n"
                                 "    entropy: 3.0\n"
                                 "    allowlist: {regexes: ['^0123456789abcdef$'], stopwords: [deadbeef]}\n"
                                 "    sample: 'key = acme_k3j4h5g6f7d8s9a0'\n"
                                 "  - id: generic-password\n"
                                 "    description: Password in an assignment\n"
                                 "    regex: '(?i)password\\s*[:=]\\s*[\"'']?([^\\s\"'',;]{6,64})'\n"
                                 "    secret-group: 1\n"
                                 "    validator: generic\n"
                                 "  - id: exact-password\n"
                                 "    description: Password shaped like ACME's\n"
                                 "    regex: 'acme_pw_[0-9]{4}'\n"
                                 "  - id: email\n"
                                 "    kind: pii\n"
                                 "    severity: medium\n"
                                 "    description: Email address\n"
                                 "    regex: '[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,250}\\.[A-Za-z]{2,24}'\n"
                                 "    validator: email\n"
                                 "  - id: card\n"
                                 "    kind: pii\n"
                                 "    description: Card number\n"
                                 "    regex: '\\b(?:[0-9][ -]?){12,18}[0-9]\\b'\n"
                                 "    validator: luhn\n"
                                 "  - id: pem\n"
                                 "    description: Private key\n"
                                 "    regex: '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\\s\\S]{20,}?-----END ([A-Z]+ "
                                 ")?PRIVATE KEY-----'\n"
                                 "    multiline: true\n"
                                 "    max-length: 9000\n"
                                 "  - id: kw-token\n"
                                 "    description: Token needing a keyword\n"
                                 "    regex: 'tok_[A-Z0-9]{10}'\n"
                                 "    keywords: [deploy]\n";

static bw_secrets *make(const char *yaml, const char *cache, int per_row)
{
    bw_secrets_opts o = BW_SECRETS_OPTS_INIT;
    const char *files[1];
    bw_secrets *s = NULL;
    bw_error e;
    char *path = tu_join(tmp, "rules.yaml");

    tu_write_str(tmp, "rules.yaml", yaml);
    files[0] = path;
    o.rule_files = files;
    o.n_rule_files = 1;
    o.cache_dir = cache;
    o.per_row = per_row;
    bw_error_clear(&e);
    if (bw_secrets_new(&s, &o, &e) != BW_OK) {
        tap_diag("bw_secrets_new: %s", e.msg);
    }
    free(path);
    return s;
}

static bw_report *scan_mem(const bw_secrets *s, const char *name, const void *p, size_t n)
{
    bw_report *r = NULL;
    bw_secrets_input in = {0};
    bw_error e;

    bw_error_clear(&e);
    if (bw_report_new(&r, "test", &e) != BW_OK) {
        exit(2);
    }
    in.name = name;
    in.data = p;
    in.len = n;
    if (bw_secrets_scan_input(s, r, &in, &e) != BW_OK) {
        tap_diag("scan %s: %s", name, e.msg);
    }
    bw_report_sort(r);
    return r;
}

static size_t count(const bw_report *r, const char *rule)
{
    size_t k = 0;
    for (size_t i = 0; i < bw_report_count(r); i++) {
        k += strcmp(bw_report_get(r, i)->rule_id, rule) == 0;
    }
    return k;
}

static const bw_finding *first(const bw_report *r, const char *rule)
{
    for (size_t i = 0; i < bw_report_count(r); i++) {
        if (strcmp(bw_report_get(r, i)->rule_id, rule) == 0) {
            return bw_report_get(r, i);
        }
    }
    return NULL;
}

static void test_yaml_errors(void)
{
    static const struct {
        const char *doc, *want;
    } bad[] = {
        {"rules:\n  - id: x\n    regex: 'a('\n", "rules.yaml:3:12: rule 'x': regex does not compile"},
        {"rules:\n  - id: Bad_Id\n    regex: a\n", "must be lower-case"},
        {"rules:\n  - regex: a\n", "needs an 'id'"},
        {"rules:\n  - id: x\n    regex: a\n    colour: red\n", "unknown rule key 'colour'"},
        {"rules:\n  - id: x\n    regex: a\n    validator: nope\n", "unknown validator 'nope'"},
        {"rules:\n  - id: x\n    regex: a\n    secret-group: 2\n", "secret-group 2 is not a group"},
        {"rules:\n  - id: x\n    regex: a\n  - id: x\n    regex: b\n", "defined twice"},
        {"rules: [\n", "rules.yaml:2:1"},
        {"- a\n", "top level must be a mapping"},
        {"replace-defaults: maybe\nrules: []\n", "replace-defaults must be true or false"},
        {"other: 1\n", "unknown key 'other'"},
        {"rules:\n  - id: x\n    regex: a\n    path: b\n",
         "rules.yaml:4:11: a rule has a 'regex' (on the bytes) or a 'path'"},
        {"rules:\n  - id: x\n    path: '(x'\n", "rule 'x': regex does not compile"},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        bw_srules_yaml *y = NULL;
        bw_error e;
        bw_error_clear(&e);
        is_int(bw_srules_yaml_parse(&y, "rules.yaml", bad[i].doc, strlen(bad[i].doc), &e), BW_EFORMAT,
               "bad rule file %zu rejected", i);
        like(e.msg, bad[i].want, "message %zu names the problem", i);
        bw_srules_yaml_free(y);
    }
}

static void test_gates(const bw_secrets *s)
{
    static const char text[] = "a = acme_k3j4h5g6f7d8s9a0\n"                   /* 1 found */
                               "b = acme_0123456789abcdef\n"                   /* 2 allow regex */
                               "c = acme_deadbeefdeadbeef\n"                   /* 3 stopword */
                               "d = acme_aaaaaaaaaaaaaaaa\n"                   /* 4 entropy */
                               "e = acme_exampleexample00\n"                   /* 5 placeholder word */
                               "password = 'Zq8#vT2!mK9p'\n"                   /* 6 generic found */
                               "password = '${DB_PASSWORD}'\n"                 /* 7 variable */
                               "password: acme_pw_1234\n"                      /* 8 specific wins over generic */
                               "password = getPasswordFromVault\n"             /* 9 identifier */
                               "mail jane.doe@hospital-north.org\n"            /* 10 email */
                               "mail test@example.com\n"                       /* 11 reserved */
                               "card 4111 1111 1111 1111 ok\n"                 /* 12 card (test number, Luhn-valid) */
                               "card 4111 1111 1111 1112 bad\n"                /* 13 Luhn fails */
                               "deploy with tok_ABCDE12345\n"                  /* 14 keyword present */
                               "other tok_ABCDE12346\n"                        /* 15 keyword absent */
                               "x = acme_q9w8e7r6t5y4u3i2 # bulwark:ignore\n"  /* 16 inline ignore */
                               "# bulwark:ignore-next-line\n"                  /* 17 */
                               "x = acme_z1x2c3v4b5n6m7l8\n"                   /* 18 ignored by 17 */
                               "y = acme_p0o9i8u7y6t5r4e3 # gitleaks:allow\n"; /* 19 */
    bw_report *r = scan_mem(s, "gates.txt", text, strlen(text));
    const bw_finding *f;

    is_int(count(r, "acme-key"), 1, "one ACME key: allow list, stopword, entropy, placeholder and ignores hold");
    f = first(r, "acme-key");
    ok(f != NULL && f->loc.line == 1 && f->loc.column == 10, "ACME key located at its secret: line 1 column 10");
    ok(f != NULL && f->evidence != NULL && strstr(f->evidence, "k3j4h5g6f7d8s9a0") == NULL, "evidence is redacted");
    ok(f != NULL && f->severity == BW_SEV_CRITICAL, "severity from the rule");
    is_int(count(r, "generic-password"), 1, "generic password once (placeholder, identifier and specific win)");
    f = first(r, "generic-password");
    ok(f != NULL && f->loc.line == 6, "generic password at line 6");
    is_int(count(r, "exact-password"), 1, "the specific rule keeps line 8");
    is_int(count(r, "email"), 1, "email: one, the reserved example domain is not");
    ok(first(r, "email") != NULL && first(r, "email")->loc.line == 10, "email at line 10");
    is_int(count(r, "card"), 1, "card: the Luhn-valid one only");
    like(first(r, "card") ? first(r, "card")->message : "", "visa", "card message names the scheme");
    is_int(count(r, "kw-token"), 1, "keyword gate: only the line with the keyword");
    bw_report_free(r);
}

/* Tokens across the 16 MiB chunk boundaries of a stream: each once, at the right line. */
static void test_chunks(const bw_secrets *s)
{
    /* the scanner's 16 MiB chunks scaled down to 256 KiB: blocks start at multiples of K and take
     * matches ending past K * i + 64 KiB; tokens straddle both kinds of boundary */
    const size_t K = (size_t)256 << 10, B1 = K + 65536, B2 = 2 * K + 65536;
    size_t n = 5 * K, line = 1, planted = 0;
    char *buf = malloc(n);
    size_t at[8], lines[8];
    const size_t targets[] = {K - 7, B1 - 10, B1 + 30, 2 * K + 40 - 65536, B2 - 2, n - 30};
    char *path;
    bw_report *r = NULL;
    bw_error e;

    /* lines of 99 'x' and a newline; tokens overwrite bytes at the targets */
    for (size_t i = 0; i < n; i++) {
        buf[i] = (i % 100 == 99) ? '\n' : 'x';
    }
    for (size_t t = 0; t < BW_ARRAY_LEN(targets); t++) {
        static const char *const toks[] = {"acme_a1b2c3d4e5f6g7h8", "acme_h8g7f6e5d4c3b2a1", "acme_q1w2e3r4t5y6u7i8",
                                           "acme_z9x8c7v6b5n4m3l2", "acme_p1o2i3u4y5t6r7e8", "acme_m1n2b3v4c5x6z7l8"};
        size_t pos = targets[t];
        buf[pos - 1] = ' ';
        memcpy(buf + pos, toks[t], 21);
        buf[pos + 21] = ' ';
        at[planted] = pos;
        planted++;
    }
    for (size_t t = 0; t < planted; t++) {
        lines[t] = 1;
        for (size_t i = 0; i < at[t]; i++) {
            lines[t] += buf[i] == '\n';
        }
    }
    (void)line;
    bw_secrets_chunk = K;
    path = tu_join(tmp, "big.log");
    tu_write(tmp, "big.log", buf, n);
    bw_error_clear(&e);
    if (bw_report_new(&r, "test", &e) != BW_OK) {
        exit(2);
    }
    is_int(bw_secrets_scan_file(s, r, path, &e), BW_OK, "1.25 MiB file scanned in 256 KiB chunks");
    bw_report_sort(r);
    is_int(count(r, "acme-key"), planted, "every token across chunk boundaries found exactly once");
    for (size_t t = 0; t < planted && t < bw_report_count(r); t++) {
        const bw_finding *f = bw_report_get(r, t);
        ok(f->loc.line == lines[t] && f->loc.offset == at[t] + 5, "token %zu at line %zu offset %zu (got %u, %llu)", t,
           lines[t], at[t], f->loc.line, (unsigned long long)f->loc.offset);
    }
    bw_report_free(r);
    /* the same bytes from memory take the same path */
    r = scan_mem(s, "big.log", buf, n);
    is_int(count(r, "acme-key"), planted, "from memory: every token once");
    bw_report_free(r);
    bw_secrets_chunk = (size_t)16 << 20;
    free(buf);
    free(path);
}

static void test_multiline_and_ranges(const bw_secrets *s)
{
    static const char text[] = "line1\n"
                               "-----BEGIN RSA PRIVATE KEY-----\n"
                               "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                               "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
                               "-----END RSA PRIVATE KEY-----\n"
                               "k = acme_r5t6y7u8i9o0p1a2\n";
    bw_report *r = scan_mem(s, "key.pem", text, strlen(text));
    const bw_finding *f = first(r, "pem");
    bw_secrets_input in = {0};
    bw_report *r2 = NULL;
    bw_error e;
    const uint32_t only6[] = {6, 6}, only1[] = {1, 1};

    ok(f != NULL && f->loc.line == 2 && f->loc.end_line == 5, "PEM block from line 2 to 5");
    bw_report_free(r);
    bw_error_clear(&e);
    if (bw_report_new(&r2, "test", &e) != BW_OK) {
        exit(2);
    }
    in.name = "key.pem";
    in.data = text;
    in.len = strlen(text);
    in.line_ranges = only6;
    in.n_line_ranges = 1;
    ok(bw_secrets_scan_input(s, r2, &in, &e) == BW_OK, "scanned");
    ok(count(r2, "acme-key") == 1 && count(r2, "pem") == 0, "line ranges: only findings on line 6");
    bw_report_free(r2);
    if (bw_report_new(&r2, "test", &e) != BW_OK) {
        exit(2);
    }
    in.line_ranges = only1;
    ok(bw_secrets_scan_input(s, r2, &in, &e) == BW_OK, "scanned");
    is_int(bw_report_count(r2), 0, "line ranges: nothing on line 1");
    bw_report_free(r2);
}

static void test_notebook(const bw_secrets *s)
{
    static const char nb[] = "{\"cells\": [\n"
                             " {\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": [\"# Title\\n\"]},\n"
                             " {\"cell_type\": \"code\", \"metadata\": {}, \"execution_count\": 1,\n"
                             "  \"source\": [\"import os\\n\", \"key = \\\"acme_n1b2v3c4x5z6l7k8\\\"\\n\"],\n"
                             "  \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\",\n"
                             "    \"text\": [\"hello\\n\", \"mail jane.doe@hospital-north.org\\n\"]},\n"
                             "   {\"output_type\": \"display_data\", \"metadata\": {}, \"data\": {\"image/png\": "
                             "\"YWNtZV9uMWIydjNjNHg1ejZsN2s4\"}}]}\n"
                             "], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}\n";
    bw_report *r = scan_mem(s, "analysis.ipynb", nb, strlen(nb));
    const bw_finding *f = first(r, "acme-key");

    ok(f != NULL && f->loc.cell == 1 && f->loc.line == 2, "notebook: key in cell 1, line 2 of its source");
    f = first(r, "email");
    ok(f != NULL && f->loc.cell == 1 && f->loc.line == 2 && strstr(f->message, "output 0") != NULL,
       "notebook: email in cell 1's output 0, line 2");
    is_int(bw_report_count(r), 2, "the image output is not read");
    bw_report_free(r);
}

static void gz(const char *in, size_t n, unsigned char *out, size_t *outn)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (unsigned)n;
    z.next_out = out;
    z.avail_out = (unsigned)*outn;
    deflate(&z, Z_FINISH);
    *outn = z.total_out;
    deflateEnd(&z);
}

static void tar_member(unsigned char *tar, size_t *len, const char *name, const char *data)
{
    unsigned char *h = tar + *len;
    size_t n = strlen(data);
    unsigned sum = 0;

    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "0000644");
    snprintf((char *)h + 108, 8, "0000000");
    snprintf((char *)h + 116, 8, "0000000");
    snprintf((char *)h + 124, 12, "%011o", (unsigned)n);
    snprintf((char *)h + 136, 12, "%011o", 0u);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++) {
        sum += h[i];
    }
    snprintf((char *)h + 148, 8, "%06o", sum);
    memcpy(h + 512, data, n);
    *len += 512 + (n + 511) / 512 * 512;
}

static void test_archives(const bw_secrets *s)
{
    static const char log[] = "start\nconnect with acme_g5h6j7k8l9z1x2c3\n";
    unsigned char out[4096], tar[8192], tgz[8192];
    size_t n = sizeof(out), tl = 0, tgl = sizeof(tgz);
    bw_report *r;
    const bw_finding *f;

    gz(log, strlen(log), out, &n);
    r = scan_mem(s, "app.log.gz", out, n);
    f = first(r, "acme-key");
    ok(f != NULL && f->loc.member != NULL && strcmp(f->loc.member, "app.log") == 0 && f->loc.line == 2,
       "gzip: found in member 'app.log' at line 2");
    bw_report_free(r);

    memset(tar, 0, sizeof(tar));
    tar_member(tar, &tl, "conf/a.env", "A=1\n");
    tar_member(tar, &tl, "conf/b.env", "B=2\nKEY=acme_w3e4r5t6y7u8i9o0\n");
    tl += 1024;
    r = scan_mem(s, "conf.tar", tar, tl);
    f = first(r, "acme-key");
    ok(f != NULL && f->loc.member != NULL && strcmp(f->loc.member, "conf/b.env") == 0 && f->loc.line == 2,
       "tar: member conf/b.env line 2");
    bw_report_free(r);

    gz((const char *)tar, tl, tgz, &tgl);
    r = scan_mem(s, "conf.tar.gz", tgz, tgl);
    f = first(r, "acme-key");
    ok(f != NULL && f->loc.member != NULL && strcmp(f->loc.member, "conf/b.env") == 0, "tar.gz: member conf/b.env");
    bw_report_free(r);
}

/* Rules on names (BW_SF_PATH): a PKCS #12 key store is reported by its extension, as a file or a member. */
static void test_path_rules(void)
{
    static const unsigned char der[] = {0x30, 0x82, 0x0a, 0x1b, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xe1, 0x06, 0x09};
    bw_secrets_opts o = BW_SECRETS_OPTS_INIT;
    bw_secrets *def = NULL;
    bw_report *r;
    const bw_finding *f;
    unsigned char tar[8192];
    size_t tl = 0;
    bw_error e;
    bw_secrets_input in = {0};
    const uint32_t added[2] = {1, 5};

    o.cache_dir = tmp;
    bw_error_clear(&e);
    if (!ok(bw_secrets_new(&def, &o, &e) == BW_OK, "the built-in rules")) {
        return;
    }
    r = scan_mem(def, "deploy/certs/Signing.P12", der, sizeof(der));
    f = first(r, "pkcs12-file");
    ok(f != NULL && f->loc.line == 0 && f->loc.member == NULL && f->severity == BW_SEV_HIGH,
       "a .P12 file is reported, as a file (line %u)", f ? f->loc.line : 0);
    is_int(count(r, "pkcs12-file"), 1, "once");
    bw_report_free(r);
    r = scan_mem(def, "docs/p12-format.md", "PKCS #12 (.p12) files hold keys\n", 33);
    is_int(count(r, "pkcs12-file"), 0, "a document about .p12 files is no key store");
    bw_report_free(r);
    r = scan_mem(def, "backup.p12.md", "x\n", 2);
    is_int(count(r, "pkcs12-file"), 0, "only the last extension counts");
    bw_report_free(r);
    memset(tar, 0, sizeof(tar));
    tar_member(tar, &tl, "bundle/README", "keys inside\n");
    tar_member(tar, &tl, "bundle/keystore.pfx",
               "0\x82"
               "binary");
    tl += 1024;
    r = scan_mem(def, "release.tar", tar, tl);
    f = first(r, "pkcs12-file");
    ok(f != NULL && f->loc.member != NULL && strcmp(f->loc.member, "bundle/keystore.pfx") == 0,
       "a .pfx member of a tar archive is reported with its member name");
    bw_report_free(r);
    /* --staged counts added lines only: a file's name is none of them */
    bw_error_clear(&e);
    if (bw_report_new(&r, "test", &e) != BW_OK) {
        exit(2);
    }
    in.name = "certs/new.p12";
    in.data = der;
    in.len = sizeof(der);
    in.line_ranges = added;
    in.n_line_ranges = 1;
    is_int(bw_secrets_scan_input(def, r, &in, &e), BW_OK, "with line ranges");
    is_int(count(r, "pkcs12-file"), 0, "with line ranges: no path finding");
    bw_report_free(r);
    bw_secrets_free(def);
    /* a custom rule on names */
    {
        static const char yaml[] = "rules:\n"
                                   "  - id: keytab-file\n"
                                   "    description: Kerberos keytab\n"
                                   "    path: '(?i)\\.keytab$'\n"
                                   "    severity: critical\n"
                                   "    sample: etc/krb5.keytab\n"
                                   "  - id: jks-file\n    path: '\\.jks$'\n"
                                   "  - id: pem-bundle\n    path: '\\.pem$'\n"
                                   "  - id: kdbx-file\n    path: '\\.kdbx$'\n"
                                   "  - id: ovpn-file\n    path: '\\.ovpn$'\n"
                                   "  - id: ppk-file\n    path: '\\.ppk$'\n";
        bw_secrets *cu = make(yaml, tmp, 0);
        if (ok(cu != NULL, "a custom rule with 'path'")) {
            r = scan_mem(cu, "deploy/svc.KEYTAB", "\x05\x02", 2);
            f = first(r, "keytab-file");
            ok(f != NULL && f->severity == BW_SEV_CRITICAL && f->loc.line == 0,
               "the custom path rule reports the file");
            bw_report_free(r);
            r = scan_mem(cu, "docs/keytab.md", "x.keytab\n", 9);
            is_int(count(r, "keytab-file"), 0, "and not a file whose bytes name one");
            bw_report_free(r);
            r = scan_mem(cu, "vpn/client.ppk", "", 0);
            is_int(count(r, "ppk-file"), 1, "the sixth path rule of a file runs too");
            bw_report_free(r);
        }
        bw_secrets_free(cu);
    }
}

static void test_kube(const bw_secrets *s)
{
    /* "acme_y1u2i3o4p5a6s7d8" and a ConfigMap-like value that is not a secret */
    static const char yml[] = "apiVersion: v1\n"
                              "kind: Secret\n"
                              "metadata:\n"
                              "  name: db\n"
                              "type: Opaque\n"
                              "data:\n"
                              "  api-key: YWNtZV95MXUyaTNvNHA1YTZzN2Q4\n"
                              "  user: YWRtaW4=\n";
    bw_report *r = scan_mem(s, "secret.yaml", yml, strlen(yml));
    const bw_finding *f = first(r, "acme-key");

    ok(f != NULL && f->loc.line == 7 && strstr(f->message, "base64-decoded") != NULL,
       "Kubernetes Secret: decoded value found at line 7");
    is_int(bw_report_count(r), 1, "nothing else in the Secret");
    bw_report_free(r);
}

static void test_dataset(void)
{
    static const char csv[] = "patient_id,name,email,dob,mrn,notes\n"
                              "1,Jane Doe,jane.doe@hospital-north.org,1984-03-12,00123456,ok\n"
                              "2,John Roe,john.roe@hospital-north.org,1990-13-40,12,\"x, y\"\n"
                              "3,Ann Poe,ann.poe@hospital-north.org,12/03/1979,A-778899,none\n";
    bw_secrets *summary = make(rules_yaml, tmp, 0), *rows = make(rules_yaml, tmp, 1);
    bw_report *r = scan_mem(summary, "patients.csv", csv, strlen(csv));
    const bw_finding *f = first(r, "email");

    ok(f != NULL && strstr(f->message, "3 in column 'email'") != NULL && f->loc.line == 2,
       "summary: emails counted per column (%s)", f ? f->message : "none");
    f = first(r, "dataset-date-of-birth");
    ok(f != NULL && strstr(f->message, "2 in column 'dob'") != NULL, "summary: 2 valid dates of birth (%s)",
       f ? f->message : "none");
    ok(first(r, "dataset-medical-record-number") != NULL, "summary: MRN column");
    ok(first(r, "dataset-person-name") != NULL, "summary: name column");
    bw_report_free(r);
    r = scan_mem(rows, "patients.csv", csv, strlen(csv));
    is_int(count(r, "email"), 3, "per row: 3 emails");
    is_int(count(r, "dataset-date-of-birth"), 2, "per row: 2 dates (1990-13-40 is no date)");
    is_int(count(r, "dataset-medical-record-number"), 2, "per row: 2 MRNs ('12' is too short)");
    f = first(r, "email");
    ok(f != NULL && f->loc.line == 2 && strstr(f->message, "column 'email'") != NULL, "per row: line and column");
    bw_report_free(r);
    {
        static const char jl[] =
            "{\"id\": 1, \"dob\": \"1984-03-12\", \"contact\": {\"email\": \"a.b@clinic-west.net\"}}\n"
            "{\"id\": 2, \"dob\": \"not a date\"}\n";
        r = scan_mem(rows, "p.jsonl", jl, strlen(jl));
        is_int(count(r, "dataset-date-of-birth"), 1, "JSONL: dob key gives context");
        is_int(count(r, "email"), 1, "JSONL: nested email found");
        bw_report_free(r);
    }
    bw_secrets_free(summary);
    bw_secrets_free(rows);
}

static bw_secrets *make_sampled(uint64_t rows, int per_row)
{
    bw_secrets_opts o = BW_SECRETS_OPTS_INIT;
    const char *files[1];
    bw_secrets *s = NULL;
    bw_error e;
    char *path = tu_join(tmp, "rules.yaml");

    files[0] = path;
    o.rule_files = files;
    o.n_rule_files = 1;
    o.cache_dir = tmp;
    o.per_row = per_row;
    o.show_secrets = 1; /* evidence holds the value: each finding's line is checked against it */
    o.sample_rows = rows;
    bw_error_clear(&e);
    if (bw_secrets_new(&s, &o, &e) != BW_OK) {
        tap_diag("bw_secrets_new: %s", e.msg);
    }
    free(path);
    return s;
}

/* A CSV (or JSONL) of `rows` patients, the email of row i (line i + 2 in CSV) being p<i>@clinic<i % 50>.org. */
static char *patients(size_t rows, bool jsonl, size_t *n)
{
    size_t cap = rows * 80 + 64, k = 0;
    char *p = malloc(cap);

    if (!jsonl) {
        k += (size_t)snprintf(p, cap, "id,name,email,notes\n");
    }
    for (size_t i = 0; i < rows; i++) {
        k += (size_t)snprintf(p + k, cap - k,
                              jsonl ? "{\"id\": %zu, \"email\": \"p%zu@clinic%zu.org\", \"notes\": \"ok\"}\n"
                                    : "%zu,Patient Number,p%zu@clinic%zu.org,ok\n",
                              i, i, i % 50);
    }
    *n = k;
    return p;
}

/* Every email finding of r is on the line its value belongs to; how many, and the last line. */
static bool lines_match(const bw_report *r, bool jsonl, size_t *found, size_t *last)
{
    bool good = true;

    *found = 0;
    *last = 0;
    for (size_t i = 0; i < bw_report_count(r); i++) {
        const bw_finding *f = bw_report_get(r, i);
        char want[64];
        if (strcmp(f->rule_id, "email") != 0) {
            continue;
        }
        snprintf(want, sizeof(want), "p%u@", f->loc.line - (jsonl ? 1 : 2));
        if (f->evidence == NULL || strncmp(f->evidence, want, strlen(want)) != 0) {
            if (good) {
                tap_diag("line %u has evidence %s", f->loc.line, f->evidence ? f->evidence : "(none)");
            }
            good = false;
        }
        (*found)++;
        *last = BW_MAX(*last, (size_t)f->loc.line);
    }
    return good;
}

static void test_sample(void)
{
    bw_secrets *sum = make_sampled(1000, 0), *rows = make_sampled(1000, 1);
    size_t n, found, last;
    unsigned long long sampled = 0, about = 0;
    char *csv = patients(40000, false, &n), *path;
    bw_report *r = scan_mem(sum, "patients.csv", csv, n);
    const bw_finding *f = first(r, "email");
    const char *at = f ? strstr(f->message, "in a sample of ") : NULL;
    bw_error e;

    ok(at != NULL && sscanf(at, "in a sample of %llu of about %llu rows", &sampled, &about) == 2 && sampled >= 900 &&
           sampled <= 1300 && about > 30000 && about < 50000,
       "summary of 40,000 rows: about 1,000 sampled (%s)", f ? f->message : "none");
    bw_report_free(r);
    r = scan_mem(rows, "patients.csv", csv, n);
    ok(lines_match(r, false, &found, &last), "per row: every sampled finding on its own line");
    ok(found >= 900 && found <= 1300 && last > 30000, "per row: %zu findings, the last on line %zu", found, last);
    bw_report_free(r);
    /* the same file streamed in 256 KiB chunks: windows meet chunk edges, lines stay right */
    bw_secrets_chunk = (size_t)256 << 10;
    path = tu_join(tmp, "patients.csv");
    tu_write(tmp, "patients.csv", csv, n);
    bw_error_clear(&e);
    if (bw_report_new(&r, "test", &e) != BW_OK) {
        exit(2);
    }
    is_int(bw_secrets_scan_file(rows, r, path, &e), BW_OK, "a streamed dataset, sampled");
    bw_report_sort(r);
    ok(lines_match(r, false, &found, &last), "streamed: every sampled finding on its own line");
    ok(found >= 900 && found <= 1300 && last > 30000, "streamed: %zu findings, the last on line %zu", found, last);
    bw_report_free(r);
    bw_secrets_chunk = (size_t)16 << 20;
    free(path);
    free(csv);
    /* JSONL the same way */
    csv = patients(40000, true, &n);
    r = scan_mem(rows, "events.jsonl", csv, n);
    ok(lines_match(r, true, &found, &last) && found >= 900 && found <= 1300 && last > 30000,
       "JSONL: %zu sampled findings on their lines, the last on %zu", found, last);
    bw_report_free(r);
    free(csv);
    /* not many more rows than asked: every row, no sample */
    csv = patients(1100, false, &n);
    r = scan_mem(sum, "small.csv", csv, n);
    f = first(r, "email");
    ok(f != NULL && strstr(f->message, "1100 in column 'email'") != NULL && strstr(f->message, "sample") == NULL,
       "1,100 rows with --sample 1000: all scanned (%s)", f ? f->message : "none");
    bw_report_free(r);
    /* a caller built against version 1 of the options has no sample_rows: whatever follows is not read */
    {
        bw_secrets_opts o1 = BW_SECRETS_OPTS_INIT;
        bw_secrets *v1 = NULL;
        bw_report *r1;
        char *rp = tu_join(tmp, "rules.yaml");
        const char *files[1] = {rp};
        o1.version = 1;
        o1.rule_files = files;
        o1.n_rule_files = 1;
        o1.cache_dir = tmp;
        o1.sample_rows = 5;
        bw_error_clear(&e);
        is_int(bw_secrets_new(&v1, &o1, &e), BW_OK, "options of version 1 are accepted");
        r1 = v1 != NULL ? scan_mem(v1, "small.csv", csv, n) : NULL;
        f = r1 != NULL ? first(r1, "email") : NULL;
        ok(f != NULL && strstr(f->message, "1100 in column 'email'") != NULL,
           "version 1: no sampling, whatever lies past the struct (%s)", f ? f->message : "none");
        bw_report_free(r1);
        bw_secrets_free(v1);
        free(rp);
    }
    /* text is never sampled */
    r = scan_mem(rows, "patients.txt", csv, n);
    is_int(count(r, "email"), 1100, "a .txt file with the same bytes: every line");
    bw_report_free(r);
    free(csv);
    bw_secrets_free(sum);
    bw_secrets_free(rows);
}

static void test_cache(void)
{
    char *dir = tu_join(tmp, "cache");
    bw_secrets *a, *b;
    char *dbs;

    a = make(rules_yaml, dir, 0);
    ok(a != NULL && strcmp(bw_secrets_db_origin(a), "compiled") == 0, "first run compiles and stores");
    b = make(rules_yaml, dir, 0);
    ok(b != NULL && strcmp(bw_secrets_db_origin(b), "cache") == 0, "second run loads the cache");
    bw_secrets_free(a);
    bw_secrets_free(b);
    /* corrupt every cached database: it is compiled again */
    dbs = tu_join(dir, "");
    {
        char cmd[8192];
        snprintf(cmd, sizeof(cmd), "for f in '%s'/hs-*.db; do printf 'bulwark-hsdb-2\\ngarbage' > \"$f\"; done", dir);
        ok(system(cmd) == 0, "cache corrupted");
    }
    a = make(rules_yaml, dir, 0);
    ok(a != NULL && strcmp(bw_secrets_db_origin(a), "compiled") == 0, "a corrupt cache is compiled again");
    bw_secrets_free(a);
    chmod(dir, 0777);
    a = make(rules_yaml, dir, 0);
    ok(a != NULL && strcmp(bw_secrets_db_origin(a), "compiled (cache not writable)") == 0,
       "a world-writable cache directory is not trusted");
    bw_secrets_free(a);
    chmod(dir, 0700);
    {
        /* missing parents are created ($XDG_CACHE_HOME may not exist yet) */
        char *deep = tu_join(dir, "not/there/yet");
        a = make(rules_yaml, deep, 0);
        b = make(rules_yaml, deep, 0);
        ok(a != NULL && b != NULL && strcmp(bw_secrets_db_origin(b), "cache") == 0,
           "a cache directory with missing parents is created and used");
        bw_secrets_free(a);
        bw_secrets_free(b);
        free(deep);
    }
    free(dbs);
    free(dir);
}

static void test_fingerprints(const bw_secrets *s)
{
    static const char a[] = "k = acme_c1v2b3n4m5l6k7j8\n", b[] = "\n\n# moved\nk = acme_c1v2b3n4m5l6k7j8\n";
    bw_report *ra = scan_mem(s, "f.py", a, strlen(a)), *rb = scan_mem(s, "f.py", b, strlen(b));

    ok(bw_report_count(ra) == 1 && bw_report_count(rb) == 1 &&
           strcmp(bw_report_get(ra, 0)->fingerprint, bw_report_get(rb, 0)->fingerprint) == 0,
       "a secret's fingerprint survives moving lines");
    bw_report_free(ra);
    bw_report_free(rb);
}

static void test_gate_functions(void)
{
    const char *what;
    static const char ip[] = "from 8.8.4.4 and 10.1.2.3 version 1.2.3.4 v2.0.0.1 192.0.2.7";

    ok(bw_secret_is_placeholder("<your-api-key>", 14), "placeholder: <...>");
    ok(bw_secret_is_placeholder("${API_KEY}", 10), "placeholder: ${...}");
    ok(bw_secret_is_placeholder("{{ .Values.token }}", 19), "placeholder: {{ }}");
    ok(bw_secret_is_placeholder("$DB_PASSWORD", 12), "placeholder: $VAR");
    ok(bw_secret_is_placeholder("xxxxxxxxxxxx", 12), "placeholder: xxxx");
    ok(bw_secret_is_placeholder("changeme", 8), "placeholder: changeme");
    ok(bw_secret_is_placeholder("your-key-here", 13), "placeholder: your-key-here");
    ok(bw_secret_is_placeholder("AKIAIOSFODNN7EXAMPLE", 20), "placeholder: AWS documentation key");
    ok(!bw_secret_is_placeholder("Zq8vT2mK9pLw", 12), "a random value is no placeholder");
    ok(bw_secret_is_placeholder("Zq8vT2PlaceHolder9pLw", 21), "placeholder: a word in any case");
    {
        char long_v[400];
        for (size_t i = 0; i < sizeof(long_v); i++) {
            long_v[i] = "Zq8vT2mK9pLwR4s"[i % 15];
        }
        ok(!bw_secret_is_placeholder(long_v, sizeof(long_v)), "a long random value is no placeholder");
        memcpy(long_v + 300, "GetEnv", 6);
        ok(bw_secret_is_placeholder(long_v, sizeof(long_v)), "a long value naming getenv (past the lower-case copy)");
    }
    ok(bw_sval_check(BW_SV_IPV4, ip, sizeof(ip) - 1, 5, 12, 5, 12, &what), "8.8.4.4 is public");
    ok(!bw_sval_check(BW_SV_IPV4, ip, sizeof(ip) - 1, 17, 25, 17, 25, &what), "10.1.2.3 is private");
    ok(!bw_sval_check(BW_SV_IPV4, ip, sizeof(ip) - 1, 34, 41, 34, 41, &what), "after 'version' it is a version");
    ok(!bw_sval_check(BW_SV_IPV4, ip, sizeof(ip) - 1, 43, 50, 43, 50, &what), "v2.0.0.1 is a version");
    ok(!bw_sval_check(BW_SV_IPV4, ip, sizeof(ip) - 1, 51, 60, 51, 60, &what), "192.0.2.7 is documentation");
    ok(bw_sval_check(BW_SV_DATE, "1984-03-12", 10, 0, 10, 0, 10, &what), "date ISO");
    ok(bw_sval_check(BW_SV_DATE, "29/02/2000", 10, 0, 10, 0, 10, &what), "date leap day");
    ok(!bw_sval_check(BW_SV_DATE, "29/02/1900", 10, 0, 10, 0, 10, &what), "1900 was no leap year");
    ok(!bw_sval_check(BW_SV_DATE, "1850-01-01", 10, 0, 10, 0, 10, &what), "too old for a birth date");
    ok(!bw_sval_check(BW_SV_EMAIL, "a@b.example", 11, 0, 11, 0, 11, &what), "reserved .example");
    ok(!bw_sval_check(BW_SV_EMAIL, "icon@2x.png", 11, 0, 11, 0, 11, &what), "an image name is no email");
    ok(bw_sval_check(BW_SV_EMAIL, "dr.who@nhs.uk", 13, 0, 13, 0, 13, &what), "a real-looking email");
    {
        /* every rule of the email gate, each way */
        static const struct {
            const char *v;
            bool ok;
        } em[] = {{"a@localhost", false},
                  {"a@Example.COM", false},
                  {"a@example", false},
                  {"a@mail.example.org", false},
                  {"a@host.internal", false},
                  {"a@printer.local", false},
                  {"a@x.test", false},
                  {"a@x.invalid", false},
                  {"svc@proj.iam.gserviceaccount.com", false},
                  {"1234+me@users.noreply.github.com", false},
                  {"module@1.2.3.js", false},
                  {"logo@2x.jpeg", false},
                  {"a@host", false},
                  {"a@host.c", false},
                  {"a@host.c0m", false},
                  {"@host.com", false},
                  {"jo@example.com.au", true},
                  {"jo@notexample.com", true},
                  {"jo@mail.testing.io", true},
                  {"jo@site.html5", false},
                  {"jo@site.htmlx", true},
                  {"jo@ts.co", true},
                  {"jo@web.ts", false}};
        for (size_t i = 0; i < sizeof(em) / sizeof(em[0]); i++) {
            size_t n = strlen(em[i].v);
            ok(bw_sval_check(BW_SV_EMAIL, em[i].v, n, 0, n, 0, n, &what) == em[i].ok, "email %s: %s", em[i].v,
               em[i].ok ? "kept" : "dropped");
        }
    }
    {
        /* an IPv4 after a word of versions is a version; elsewhere a public address is kept */
        static const struct {
            const char *before;
            bool ok;
        } ip4[] = {{"host ", true},      {"Version: ", false}, {"ver ", false},          {"VER ", false},
                   {"server ", true},    {"release ", false},  {"oid=", false},          {"build ", false},
                   {"firmware ", false}, {"verbose ", true},   {"rebuilt ", true},       {"oi ", true},
                   {"x/", false},        {"see v", false},     {"Driver bundle ", false}};
        for (size_t i = 0; i < sizeof(ip4) / sizeof(ip4[0]); i++) {
            char line[64];
            size_t b = strlen(ip4[i].before);
            snprintf(line, sizeof(line), "%s81.2.3.4 end", ip4[i].before);
            ok(bw_sval_check(BW_SV_IPV4, line, strlen(line), b, b + 8, b, b + 8, &what) == ip4[i].ok,
               "IPv4 after '%s': %s", ip4[i].before, ip4[i].ok ? "kept" : "dropped");
        }
    }
    ok(!bw_sval_check(BW_SV_PASSWORD, "password", 8, 0, 8, 0, 8, &what), "default password");
    ok(bw_sval_check(BW_SV_PASSWORD, "h7Gv!2qp", 8, 0, 8, 0, 8, &what), "a real password");
    ok(bw_sval_check(BW_SV_BASIC_B64, "dXNlcjpTM2NyZXQhMjAyNA==", 24, 0, 24, 0, 24, &what), "base64 user:S3cret!2024");
    ok(!bw_sval_check(BW_SV_BASIC_B64, "dXNlcjpwYXNzd29yZA==", 20, 0, 20, 0, 20, &what), "base64 user:password");
    ok(!bw_sval_check(BW_SV_GENERIC, "123456789012", 12, 0, 12, 0, 12, &what), "a number is not generic secret");
    ok(!bw_sval_check(BW_SV_GENERIC, "123e4567-e89b-12d3-a456-426614174000", 36, 0, 36, 0, 36, &what),
       "a UUID is not a generic secret");
}

int main(void)
{
    bw_secrets *s;

    tmp = tu_tmpdir();
    setenv("BULWARK_CACHE_DIR", tmp, 1);
    test_yaml_errors();
    s = make(rules_yaml, NULL, 1);
    ok(s != NULL, "scanner with custom rules");
    if (s != NULL) {
        test_gates(s);
        test_chunks(s);
        test_multiline_and_ranges(s);
        test_notebook(s);
        test_archives(s);
        test_kube(s);
        test_fingerprints(s);
    }
    bw_secrets_free(s);
    test_dataset();
    test_sample();
    test_path_rules();
    test_cache();
    test_gate_functions();
    tu_rm_rf(tmp);
    free(tmp);
    return done_testing();
}
