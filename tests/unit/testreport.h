/*
 * testreport.h - building findings in report and writer tests.
 */
#ifndef BW_TESTREPORT_H
#define BW_TESTREPORT_H

#include "bulwark/bulwark.h"

static inline bw_finding finding(const char *rule, bw_severity sev, const char *path, uint32_t line, const char *msg)
{
    bw_finding f = BW_FINDING_INIT;
    f.rule_id = rule;
    f.severity = sev;
    f.loc.path = path;
    f.loc.line = line;
    f.message = msg;
    return f;
}

#endif
