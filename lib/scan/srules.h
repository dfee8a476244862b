/*
 * srules.h - the rules of the secrets and personal-data scanner (internal).
 *
 * A rule is a PCRE2 regular expression (compiled for Hyperscan as a
 * prefilter, confirmed with PCRE2 on the candidate span), an optional
 * capture group holding the secret itself, gates (minimum entropy, a
 * validator) and an allowlist of values that are known decoys. Built-in
 * rules live in lib/scan/rules_builtin.c; users add or replace them with a
 * YAML file (lib/scan/rules_yaml.c). Every built-in rule carries a sample
 * that it must find and a near miss it must not (tests/unit/test_rules.c).
 */
#ifndef BW_SRULES_H
#define BW_SRULES_H

#include <stddef.h>
#include <stdint.h>

/* What a rule finds. */
enum {
    BW_SK_SECRET = 1, /* credentials, keys, tokens */
    BW_SK_PII = 2,    /* personal data */
};

/* Validators run on the secret (the capture group, or the whole match). */
typedef enum bw_sval {
    BW_SV_NONE = 0,
    BW_SV_CARD,      /* Luhn + issuer ranges (bw_card_scheme) */
    BW_SV_IBAN,      /* country length + mod 97 */
    BW_SV_SSN,       /* SSA area/group/serial rules */
    BW_SV_NINO,      /* HMRC prefix rules */
    BW_SV_AADHAAR,   /* Verhoeff */
    BW_SV_PAN,       /* Indian PAN holder types */
    BW_SV_TOKEN_CRC, /* GitHub / npm CRC-32 checksum */
    BW_SV_JWT,       /* header and payload are base64url JSON objects, header has "alg" */
    BW_SV_PEM,       /* a private key block whose body decodes as base64 */
    BW_SV_EMAIL,     /* not a reserved example domain, not a file name like x@2x.png */
    BW_SV_PHONE,     /* 7-15 digits, not a date or version */
    BW_SV_IPV4,      /* four octets <= 255, public (not private, loopback, documentation) */
    BW_SV_PASSWORD,  /* a password in a URL, connection string or flag: not a placeholder */
    BW_SV_GENERIC,   /* generic key = value: entropy, character classes, not a placeholder/hash/uuid */
    BW_SV_DATE,      /* a plausible date of birth (year 1900..now, valid month/day) */
    BW_SV_BASIC_B64, /* base64 of "user:password" (Docker auth, Basic auth headers) */
    BW_SV__COUNT
} bw_sval;

/* Rule flags. */
enum {
    BW_SF_MULTILINE = 1u << 0, /* a match may span lines (PEM blocks); otherwise confined to one line */
    BW_SF_CASELESS = 1u << 1,  /* compile the regex caseless */
    BW_SF_GENERIC = 1u << 2,   /* a keyword rule: yields to any specific rule on the same span */
    BW_SF_CONTEXT = 1u << 3,   /* personal data that needs context (a keyword or a column name) */
    BW_SF_PATH = 1u << 4,      /* the regex is matched against the input's path (or member name), not its bytes */
};

typedef struct bw_srule {
    const char *id;          /* "github-pat": lower-case, dash-separated, unique */
    const char *provider;    /* "GitHub" */
    const char *description; /* "GitHub personal access token (classic)" */
    const char *regex;       /* PCRE2 syntax, no delimiters; keep it Hyperscan-friendly (no backreferences) */
    uint8_t kind;            /* BW_SK_SECRET or BW_SK_PII */
    uint8_t severity;        /* bw_severity: BW_SEV_LOW .. BW_SEV_CRITICAL */
    uint8_t validator;       /* bw_sval */
    uint8_t group;           /* capture group holding the secret; 0 = the whole match */
    uint16_t flags;          /* BW_SF_* */
    uint16_t max_len;        /* longest match in bytes (the confirm window); 0 = 512 */
    uint8_t shape;           /* bw_shape: found by the digit-run prefilter (sshape.h) instead of Hyperscan */
    float min_entropy;       /* bits per byte of the secret; 0 = no gate */
    const char *allow;       /* NULL, or a PCRE2 regex: a secret matching it is a decoy, never reported */
    const char *sample;      /* a line the rule must find (fake but well-formed) */
    const char *near_miss;   /* a line it must not find (a decoy, a wrong checksum...); NULL if none */
    const char *keywords;    /* NULL, or "a|b|c": the match's line must contain one (any case) */
    const char *anchor;      /* NULL, or a cheaper pattern for the Hyperscan pass that every match contains
                                (the '@' and domain of an email), ending inside the match's line; NULL: the
                                regex itself, without a leading or trailing \b */
} bw_srule;

/* The built-in rules (lib/scan/rules_builtin.c), in a stable order. */
extern const bw_srule bw_builtin_rules[];
extern const size_t bw_builtin_rule_count;

#endif
