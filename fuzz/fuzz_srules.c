/*
 * fuzz_srules.c - the custom secret rules YAML reader on arbitrary bytes:
 * either a rule set whose every rule has an id and a regex, or BW_EFORMAT /
 * BW_ENOMEM with a message naming the document.
 */
#include <string.h>

#include "fuzz.h"
#include "scan/srules_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_srules_yaml *y = NULL;
    bw_error e;
    bw_status rc;

    bw_error_clear(&e);
    rc = bw_srules_yaml_parse(&y, "rules.yaml", data, size, &e);
    if (rc == BW_OK) {
        size_t n;
        bool replace;
        const bw_srule *r = bw_srules_yaml_rules(y, &n, &replace);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(r[i].id != NULL && r[i].regex != NULL && r[i].description != NULL);
        }
    } else {
        FUZZ_CHECK(rc == BW_EFORMAT || rc == BW_ENOMEM);
        FUZZ_CHECK(rc == BW_ENOMEM || strncmp(e.msg, "rules.yaml", 10) == 0);
    }
    bw_srules_yaml_free(y);
    return 0;
}
