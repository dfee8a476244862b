/*
 * srules_yaml.c - custom secret rules from YAML (libyaml's document API).
 * See srules_yaml.h for the format.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <yaml.h>

#include "bulwark/bw_file.h"
#include "scan/srules_yaml.h"

#define MAX_RULES 10000
#define MAX_FILE ((size_t)16 << 20)

struct bw_srules_yaml {
    bw_srule *rules;
    size_t n, cap;
    char **strings; /* every string the rules point to */
    size_t ns, caps;
    bool replace;
};

static const char *const val_names[] = {
    "none", "luhn",  "iban",  "ssn",  "nino",     "verhoeff", "pan",  "checksum",   "jwt",
    "pem",  "email", "phone", "ipv4", "password", "generic",  "date", "basic-auth",
};

const char *bw_sval_name(int v)
{
    return v >= 0 && (size_t)v < BW_ARRAY_LEN(val_names) ? val_names[v] : NULL;
}

int bw_sval_parse(const char *name)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(val_names); i++) {
        if (strcmp(name, val_names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static char *keep(bw_srules_yaml *y, const char *s, size_t n)
{
    char *d;

    if (y->ns == y->caps) {
        size_t cap = y->caps ? y->caps * 2 : 32;
        char **v = bw_reallocarray(y->strings, cap, sizeof(*v));
        if (v == NULL) {
            return NULL;
        }
        y->strings = v;
        y->caps = cap;
    }
    d = bw_strndup(s, n);
    if (d != NULL) {
        y->strings[y->ns++] = d;
    }
    return d;
}

struct ctx {
    bw_srules_yaml *y;
    yaml_document_t *doc;
    const char *name;
    bw_error *err;
};

static bw_status fail_at(struct ctx *c, const yaml_node_t *node, const char *fmt, const char *a, const char *b)
{
    char msg[400];

    snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
    return bw_fail(c->err, BW_EFORMAT, "%s:%lu:%lu: %s", c->name, node ? (unsigned long)node->start_mark.line + 1 : 0UL,
                   node ? (unsigned long)node->start_mark.column + 1 : 0UL, msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool truthy(const char *v, bool *out)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "off") == 0) {
        *out = false;
        return true;
    }
    return false;
}

/* Append the items of a sequence of scalars to b as alternatives (see the modes above). */
/* mode 0: regexes as (?:a)|(?:b); 1: literals regex-quoted; 2: plain words a|b (keywords) */
static bw_status seq_alts(struct ctx *c, const yaml_node_t *seq, int mode, bw_buf *b)
{
    if (seq->type != YAML_SEQUENCE_NODE) {
        return fail_at(c, seq, "expected a list%s%s", NULL, NULL);
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        const char *v = scalar(yaml_document_get_node(c->doc, *it));
        if (v == NULL || v[0] == '\0') {
            return fail_at(c, yaml_document_get_node(c->doc, *it), "expected a non-empty string%s%s", NULL, NULL);
        }
        if (b->len > 0 && bw_buf_add(b, "|", 1) != BW_OK) {
            return BW_ENOMEM;
        }
        if (mode == 2) {
            if (strchr(v, '|') != NULL) {
                return fail_at(c, yaml_document_get_node(c->doc, *it), "a keyword cannot contain '|'%s%s", NULL, NULL);
            }
            if (bw_buf_add(b, v, strlen(v)) != BW_OK) {
                return BW_ENOMEM;
            }
        } else if (mode == 1) {
            for (const char *p = v; *p; p++) {
                if (strchr("\\^$.|?*+()[]{}", *p) != NULL && bw_buf_add(b, "\\", 1) != BW_OK) {
                    return BW_ENOMEM;
                }
                if (bw_buf_add(b, p, 1) != BW_OK) {
                    return BW_ENOMEM;
                }
            }
        } else {
            if (bw_buf_add(b, "(?:", 3) != BW_OK || bw_buf_add(b, v, strlen(v)) != BW_OK ||
                bw_buf_add(b, ")", 1) != BW_OK) {
                return BW_ENOMEM;
            }
        }
    }
    return BW_OK;
}

static bw_status check_regex(struct ctx *c, const yaml_node_t *at, const char *id, const char *re, bool caseless,
                             uint32_t *groups)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, caseless ? PCRE2_CASELESS : 0, &ec, &eo, NULL);
    char buf[200], what[260];

    if (code == NULL) {
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf, sizeof(buf));
        snprintf(what, sizeof(what), "at offset %lu: %s", (unsigned long)eo, buf);
        return fail_at(c, at, "rule '%s': regex does not compile %s", id, what);
    }
    if (groups != NULL) {
        (void)pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, groups);
    }
    pcre2_code_free(code);
    return BW_OK;
}

static bool id_ok(const char *id)
{
    if (id[0] == '\0' || strlen(id) > 80) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) {
            return false;
        }
    }
    return true;
}

static bw_status parse_rule(struct ctx *c, yaml_node_t *m)
{
    bw_srule r;
    bw_buf allow = BW_BUF_INIT(1u << 20), kw = BW_BUF_INIT(1u << 16);
    const yaml_node_t *regex_node = m;
    bool multiline = false, caseless = false, path_rule = false;
    uint32_t groups = 0;
    bw_status rc = BW_OK;
    char *dup;

    memset(&r, 0, sizeof(r));
    r.kind = BW_SK_SECRET;
    r.severity = BW_SEV_HIGH;
    if (m->type != YAML_MAPPING_NODE) {
        return fail_at(c, m, "a rule must be a mapping%s%s", NULL, NULL);
    }
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top && rc == BW_OK; pr++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, pr->key), *vn = yaml_document_get_node(c->doc, pr->value);
        const char *k = scalar(kn), *v = scalar(vn);
        char *end;

        if (k == NULL) {
            rc = fail_at(c, kn, "keys must be strings%s%s", NULL, NULL);
            break;
        }
        if (strcmp(k, "allowlist") == 0) {
            if (vn->type != YAML_MAPPING_NODE) {
                rc = fail_at(c, vn, "'allowlist' must be a mapping of regexes and stopwords%s%s", NULL, NULL);
                break;
            }
            for (yaml_node_pair_t *ap = vn->data.mapping.pairs.start; ap < vn->data.mapping.pairs.top && rc == BW_OK;
                 ap++) {
                const char *ak = scalar(yaml_document_get_node(c->doc, ap->key));
                yaml_node_t *av = yaml_document_get_node(c->doc, ap->value);
                if (ak != NULL && strcmp(ak, "regexes") == 0) {
                    rc = seq_alts(c, av, 0, &allow);
                } else if (ak != NULL && strcmp(ak, "stopwords") == 0) {
                    rc = seq_alts(c, av, 1, &allow);
                } else {
                    rc = fail_at(c, av, "unknown allowlist key '%s'%s", ak, NULL);
                }
            }
            continue;
        }
        if (strcmp(k, "keywords") == 0) {
            rc = seq_alts(c, vn, 2, &kw);
            continue;
        }
        if (v == NULL) {
            rc = fail_at(c, vn, "'%s' must be a scalar%s", k, NULL);
            break;
        }
        if (strcmp(k, "id") == 0) {
            if (!id_ok(v)) {
                rc = fail_at(c, vn, "rule id '%s' must be lower-case letters, digits and '-'%s", v, NULL);
            }
            r.id = v;
        } else if (strcmp(k, "description") == 0) {
            r.description = v;
        } else if (strcmp(k, "provider") == 0) {
            r.provider = v;
        } else if (strcmp(k, "regex") == 0 || strcmp(k, "path") == 0) {
            bool on_path = k[0] == 'p';
            if (r.regex != NULL && on_path != path_rule) {
                rc = fail_at(c, vn, "a rule has a 'regex' (on the bytes) or a 'path' (on the file name), not both%s%s",
                             NULL, NULL);
            }
            path_rule = on_path;
            r.regex = v;
            regex_node = vn;
        } else if (strcmp(k, "sample") == 0) {
            r.sample = v;
        } else if (strcmp(k, "kind") == 0) {
            if (strcmp(v, "secret") == 0) {
                r.kind = BW_SK_SECRET;
            } else if (strcmp(v, "pii") == 0) {
                r.kind = BW_SK_PII;
            } else {
                rc = fail_at(c, vn, "kind must be 'secret' or 'pii', not '%s'%s", v, NULL);
            }
        } else if (strcmp(k, "severity") == 0) {
            bw_severity sv;
            if (bw_severity_parse(v, &sv) != BW_OK) {
                rc = fail_at(c, vn, "unknown severity '%s'%s", v, NULL);
            }
            r.severity = (uint8_t)sv;
        } else if (strcmp(k, "validator") == 0) {
            int val = bw_sval_parse(v);
            if (val < 0) {
                rc = fail_at(c, vn, "unknown validator '%s'%s", v, NULL);
            }
            r.validator = (uint8_t)(val < 0 ? 0 : val);
        } else if (strcmp(k, "secret-group") == 0) {
            unsigned long g = strtoul(v, &end, 10);
            if (*v == '\0' || *end != '\0' || g > 30) {
                rc = fail_at(c, vn, "secret-group must be 0 to 30, not '%s'%s", v, NULL);
            }
            r.group = (uint8_t)g;
        } else if (strcmp(k, "max-length") == 0) {
            unsigned long g = strtoul(v, &end, 10);
            if (*v == '\0' || *end != '\0' || g == 0 || g > 32768) {
                rc = fail_at(c, vn, "max-length must be 1 to 32768, not '%s'%s", v, NULL);
            }
            r.max_len = (uint16_t)g;
        } else if (strcmp(k, "entropy") == 0) {
            double e = strtod(v, &end);
            if (*v == '\0' || *end != '\0' || !(e >= 0 && e <= 8)) {
                rc = fail_at(c, vn, "entropy must be 0 to 8 bits per byte, not '%s'%s", v, NULL);
            }
            r.min_entropy = (float)e;
        } else if (strcmp(k, "multiline") == 0) {
            if (!truthy(v, &multiline)) {
                rc = fail_at(c, vn, "multiline must be true or false, not '%s'%s", v, NULL);
            }
        } else if (strcmp(k, "caseless") == 0) {
            if (!truthy(v, &caseless)) {
                rc = fail_at(c, vn, "caseless must be true or false, not '%s'%s", v, NULL);
            }
        } else {
            rc = fail_at(c, kn, "unknown rule key '%s'%s", k, NULL);
        }
    }
    if (rc == BW_OK && (r.id == NULL || r.regex == NULL || r.regex[0] == '\0')) {
        rc = fail_at(c, m, "a rule needs an 'id' and a 'regex' (or a 'path')%s%s", NULL, NULL);
    }
    if (rc == BW_OK) {
        r.flags = (uint16_t)((multiline ? BW_SF_MULTILINE : 0) | (caseless ? BW_SF_CASELESS : 0) |
                             (r.validator == BW_SV_GENERIC ? BW_SF_GENERIC : 0) | (path_rule ? BW_SF_PATH : 0));
        rc = check_regex(c, regex_node, r.id, r.regex, caseless, &groups);
    }
    if (rc == BW_OK && r.group > groups) {
        char g[32];
        snprintf(g, sizeof(g), "%u", r.group);
        rc = fail_at(c, m, "rule '%s': secret-group %s is not a group of the regex", r.id, g);
    }
    if (rc == BW_OK && allow.len > 0) {
        if (bw_buf_add(&allow, "", 1) != BW_OK) {
            rc = BW_ENOMEM;
        } else {
            rc = check_regex(c, m, r.id, (const char *)allow.ptr, false, NULL);
        }
    }
    /* copy every string into storage we own (the document is freed after parsing) */
    if (rc == BW_OK) {
        const char **fields[] = {&r.id, &r.description, &r.provider, &r.regex, &r.sample};
        for (size_t i = 0; i < BW_ARRAY_LEN(fields) && rc == BW_OK; i++) {
            if (*fields[i] != NULL) {
                dup = keep(c->y, *fields[i], strlen(*fields[i]));
                rc = dup != NULL ? BW_OK : BW_ENOMEM;
                *fields[i] = dup;
            }
        }
        if (r.description == NULL) {
            r.description = r.id;
        }
        if (r.provider == NULL) {
            r.provider = "Custom";
        }
        if (rc == BW_OK && allow.len > 0) {
            r.allow = keep(c->y, (const char *)allow.ptr, strlen((const char *)allow.ptr));
            rc = r.allow != NULL ? BW_OK : BW_ENOMEM;
        }
        if (rc == BW_OK && kw.len > 0) {
            r.keywords = keep(c->y, (const char *)kw.ptr, kw.len);
            rc = r.keywords != NULL ? BW_OK : BW_ENOMEM;
        }
    }
    if (rc == BW_OK) {
        for (size_t i = 0; i < c->y->n; i++) {
            if (strcmp(c->y->rules[i].id, r.id) == 0) {
                rc = fail_at(c, m, "rule id '%s' is defined twice%s", r.id, NULL);
            }
        }
    }
    if (rc == BW_OK) {
        if (c->y->n >= MAX_RULES) {
            rc = fail_at(c, m, "too many rules%s%s", NULL, NULL);
        } else if (c->y->n == c->y->cap) {
            size_t cap = c->y->cap ? c->y->cap * 2 : 16;
            bw_srule *v = bw_reallocarray(c->y->rules, cap, sizeof(*v));
            if (v == NULL) {
                rc = BW_ENOMEM;
            } else {
                c->y->rules = v;
                c->y->cap = cap;
            }
        }
        if (rc == BW_OK) {
            c->y->rules[c->y->n++] = r;
        }
    }
    bw_buf_release(&allow);
    bw_buf_release(&kw);
    if (rc == BW_ENOMEM) {
        return bw_fail(c->err, BW_ENOMEM, "out of memory");
    }
    return rc;
}

static bw_status parse_into(bw_srules_yaml *y, const char *name, const void *p, size_t n, bw_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    struct ctx c = {y, &doc, name, err};
    bw_status rc = BW_OK;
    bool saw_rules = false;

    if (!yaml_parser_initialize(&parser)) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, p, n);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = bw_fail_at(err, BW_EFORMAT, parser.problem_offset, "%s:%lu:%lu: %s", name,
                        (unsigned long)parser.problem_mark.line + 1, (unsigned long)parser.problem_mark.column + 1,
                        parser.problem ? parser.problem : "malformed YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        rc = fail_at(&c, root, "the top level must be a mapping with 'rules'%s%s", NULL, NULL);
    }
    for (yaml_node_pair_t *pr = root ? root->data.mapping.pairs.start : NULL;
         rc == BW_OK && root && pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(&doc, pr->key), *vn = yaml_document_get_node(&doc, pr->value);
        const char *k = scalar(kn);
        if (k != NULL && strcmp(k, "rules") == 0) {
            saw_rules = true;
            if (vn->type != YAML_SEQUENCE_NODE) {
                rc = fail_at(&c, vn, "'rules' must be a list%s%s", NULL, NULL);
                break;
            }
            for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top && rc == BW_OK;
                 it++) {
                rc = parse_rule(&c, yaml_document_get_node(&doc, *it));
            }
        } else if (k != NULL && (strcmp(k, "replace-defaults") == 0 || strcmp(k, "replace_defaults") == 0)) {
            const char *v = scalar(vn);
            bool b;
            if (v == NULL || !truthy(v, &b)) {
                rc = fail_at(&c, vn, "replace-defaults must be true or false%s%s", NULL, NULL);
            } else {
                y->replace = y->replace || b;
            }
        } else {
            rc = fail_at(&c, kn, "unknown key '%s' (expected 'rules' or 'replace-defaults')%s", k, NULL);
        }
    }
    if (rc == BW_OK && !saw_rules) {
        rc = fail_at(&c, root, "no 'rules' list%s%s", NULL, NULL);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

bw_status bw_srules_yaml_parse(bw_srules_yaml **out, const char *name, const void *p, size_t n, bw_error *err)
{
    bw_srules_yaml *y = bw_calloc(1, sizeof(*y));
    bw_status rc;

    *out = NULL;
    if (y == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    rc = parse_into(y, name, p, n, err);
    if (rc != BW_OK) {
        bw_srules_yaml_free(y);
        return rc;
    }
    *out = y;
    return BW_OK;
}

bw_status bw_srules_yaml_load(bw_srules_yaml **out, const char *const *paths, size_t n, bw_error *err)
{
    bw_srules_yaml *y = bw_calloc(1, sizeof(*y));
    bw_status rc = BW_OK;

    *out = NULL;
    if (y == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && rc == BW_OK; i++) {
        bw_buf b = BW_BUF_INIT(MAX_FILE);
        rc = bw_file_slurp(paths[i], BW_FILE_FOLLOW, MAX_FILE, &b, err);
        if (rc == BW_OK) {
            rc = parse_into(y, paths[i], b.ptr ? (const char *)b.ptr : "", b.len, err);
        }
        bw_buf_release(&b);
    }
    if (rc != BW_OK) {
        bw_srules_yaml_free(y);
        return rc;
    }
    *out = y;
    return BW_OK;
}

const bw_srule *bw_srules_yaml_rules(const bw_srules_yaml *y, size_t *n, bool *replace_defaults)
{
    *n = y->n;
    *replace_defaults = y->replace;
    return y->rules;
}

void bw_srules_yaml_free(bw_srules_yaml *y)
{
    if (y == NULL) {
        return;
    }
    for (size_t i = 0; i < y->ns; i++) {
        bw_free(y->strings[i]);
    }
    bw_free(y->strings);
    bw_free(y->rules);
    bw_free(y);
}
