/*
 * srules_yaml.h - custom secret rules from YAML files (internal).
 *
 *   replace-defaults: false          # true: these rules replace the built-in set
 *   rules:
 *     - id: acme-api-key             # required, [a-z0-9-]+
 *       description: ACME API key     # required
 *       provider: ACME
 *       kind: secret                 # secret (default) | pii
 *       severity: high               # info | low | medium | high (default) | critical
 *       regex: 'acme_([a-z0-9]{32})' # required, PCRE2
 *       secret-group: 1              # capture group of the secret (default 0: the whole match)
 *       keywords: [acme_]            # the line of the match must contain one (any case)
 *       entropy: 3.5                 # minimum Shannon entropy of the secret, bits per byte
 *       validator: none              # luhn iban ssn nino verhoeff pan checksum jwt pem email phone
 *                                    # ipv4 password generic date basic-auth
 *       multiline: false             # the match may span lines
 *       caseless: false
 *       max-length: 512
 *       allowlist:                   # values that are not secrets
 *         regexes: ['^acme_test_']
 *         stopwords: [dummy]
 *       sample: 'ACME_KEY=acme_...'  # a line it must find (bulwark rules test uses it)
 *
 * Every regex is compiled with PCRE2 at load; errors name the file and line.
 */
#ifndef BW_SRULES_YAML_H
#define BW_SRULES_YAML_H

#include "scan/srules.h"
#include "util/internal.h"

typedef struct bw_srules_yaml bw_srules_yaml;

BW_INTERNAL bw_status bw_srules_yaml_load(bw_srules_yaml **out, const char *const *paths, size_t n, bw_error *err);
/* Parse one document from memory (`name` is used in messages); for tests and fuzzing. */
BW_INTERNAL bw_status bw_srules_yaml_parse(bw_srules_yaml **out, const char *name, const void *p, size_t n,
                                           bw_error *err);
BW_INTERNAL const bw_srule *bw_srules_yaml_rules(const bw_srules_yaml *y, size_t *n, bool *replace_defaults);
BW_INTERNAL void bw_srules_yaml_free(bw_srules_yaml *y);
/* The validator named `name` ("luhn"...), or -1. */
BW_INTERNAL int bw_sval_parse(const char *name);
/* The name of validator v ("luhn"), or NULL. */
BW_INTERNAL const char *bw_sval_name(int v);

#endif
