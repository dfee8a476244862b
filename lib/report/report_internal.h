/*
 * report_internal.h - the bw_report struct, shared by report.c and the
 * writers. Not installed.
 *
 * Findings are kept as an array of pointers to single allocations (the
 * bw_finding followed by its copied strings), so a bw_finding pointer stays
 * valid while the array grows or is sorted. `lock` guards every member
 * against concurrent adds; readers (count, get, the writers) run only when
 * no add is in flight, as bw_report.h says.
 */
#ifndef BW_REPORT_INTERNAL_H
#define BW_REPORT_INTERNAL_H

#include <pthread.h>

#include "util/internal.h"

#define BW_SEV_COUNT 5

struct bw_report_error {
    char *path;
    char *msg;
    bw_status code;
    uint64_t offset; /* BW_NO_OFFSET if none */
};

struct bw_report_artifact {
    char *path;
    char *key;
    char *value;
};

struct bw_report {
    pthread_mutex_t lock;
    char *command;
    bw_finding **findings; /* each one allocation: struct, then strings */
    size_t nfindings, cap_findings;
    bw_rule *rules; /* strings owned */
    size_t nrules, cap_rules;
    struct bw_report_error *errors;
    size_t nerrors, cap_errors;
    struct bw_report_artifact *artifacts; /* in the order added */
    size_t nartifacts, cap_artifacts;
    uint64_t inputs;
    uint64_t bytes; /* saturates at UINT64_MAX */
};

/* The registered rule with this id, or NULL. */
BW_INTERNAL const bw_rule *bw_report_find_rule(const bw_report *r, const char *id);
/* Findings per severity, indexed by bw_severity. */
BW_INTERNAL void bw_report_sev_counts(const bw_report *r, size_t counts[BW_SEV_COUNT]);
/* "BW_EFORMAT" and so on: a stable name for programs. */
BW_INTERNAL const char *bw_status_name(bw_status code);

BW_INTERNAL bw_status bw_report_write_text(const bw_report *r, const bw_write_opts *opts, bw_buf *out);
BW_INTERNAL bw_status bw_report_write_json(const bw_report *r, const bw_write_opts *opts, bw_buf *out);
BW_INTERNAL bw_status bw_report_write_sarif(const bw_report *r, const bw_write_opts *opts, bw_buf *out);

#endif
