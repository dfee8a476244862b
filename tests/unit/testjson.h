/*
 * testjson.h - reading values out of jansson documents in tests:
 * jget(doc, "runs.0.tool.driver.name") walks objects by key and arrays by index.
 */
#ifndef BW_TESTJSON_H
#define BW_TESTJSON_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static inline json_t *jget(json_t *o, const char *path)
{
    char key[64];
    const char *p = path;

    while (o != NULL && *p != '\0') {
        size_t n = strcspn(p, ".");
        if (n >= sizeof(key)) {
            return NULL;
        }
        memcpy(key, p, n);
        key[n] = '\0';
        if (json_is_array(o)) {
            o = json_array_get(o, strtoul(key, NULL, 10));
        } else {
            o = json_object_get(o, key);
        }
        p += n;
        if (*p == '.') {
            p++;
        }
    }
    return o;
}

static inline const char *jstr(json_t *o, const char *path)
{
    return json_string_value(jget(o, path));
}

#endif
