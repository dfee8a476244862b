/*
 * cmd_ledger_export.c - `bulwark ledger export` and `bulwark ledger import`:
 * the ledger's stage runs in the provenance formats other tools read, and
 * DVC's dvc.lock read into the ledger (docs/provenance.md).
 *
 * export takes a stage_run entry by index, or an artifact (path, digest or
 * name, as `bulwark lineage` resolves it) whose latest producing run is
 * exported. The library (bw_export) writes every format; this file picks the
 * entry, the key and the output. import appends the runs of a dvc.lock in
 * one batch, leaving out runs the ledger already holds (same stage and run
 * id: DVC run ids are digests of the stage's content), so importing the same
 * file twice adds nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/cli/cmd.h"

static const char export_usage[] =
    "usage: bulwark ledger export INDEX|ARTIFACT --format slsa|openlineage|in-toto-link [--key KEY]\n"
    "                             [--store URL|PATH]\n"
    "                             [--builder-id URI] [--repo-uri URI] [--namespace NS]\n"
    "                             [--event start|complete|fail] [--allow-failed] [-o FILE]\n"
    "\n"
    "A stage run of the project's ledger in a provenance format. INDEX is a stage_run entry's index;\n"
    "ARTIFACT (a path, a sha256:HEX digest or a recorded name, as for 'bulwark lineage') exports the\n"
    "latest stage run that produced it.\n"
    "\n"
    "  slsa          an in-toto Statement v1 with an SLSA Provenance v1 predicate; with --key, in a\n"
    "                DSSE envelope signed by that key (a key-store name or a key file). A failed run\n"
    "                (exit status not 0) is refused unless --allow-failed.\n"
    "  openlineage   an OpenLineage RunEvent (COMPLETE or FAIL by the exit status, --event to choose);\n"
    "                --namespace names the job and dataset namespace (default: bulwark).\n"
    "  in-toto-link  an in-toto 1.x link signed by --key (required), for in-toto-verify; save it as\n"
    "                STAGE.KEYID8.link (the note on stderr gives the name).\n"
    "\n"
    "Exit status: 0 written, 2 no such entry or artifact, not a stage run, a refused run, a usage error.\n";

static const char import_usage[] =
    "usage: bulwark ledger import DVC_LOCK [--key KEY] [--key-name NAME] [--actor NAME] [--commit HEX]\n"
    "                             [--store URL|PATH] [--note-key-file FILE]\n"
    "\n"
    "Append the stages of a DVC dvc.lock (schema 2.0) as stage_run entries, in one batch: inputs are\n"
    "the deps, outputs the outs, by DVC's md5 (a directory keeps its file count), the command as\n"
    "sh -c CMD, the params as a SHA-256 digest. Runs the ledger already holds (same stage and run id)\n"
    "are left out. --commit records the git commit the lock file was read at; --key signs the batch.\n";

static bool all_digits(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

/* The stage_run entry ARG names: an index, or the latest run that produced an artifact. */
static int pick_entry(bw_ledger *l, const char *arg, uint64_t *index)
{
    bw_lineage *g = NULL;
    bw_error err = {0};
    uint32_t *roots = NULL;
    size_t n = 0, found = 0;
    bw_status st;
    int rc;

    if (all_digits(arg)) {
        errno = 0;
        char *end;
        unsigned long long v = strtoull(arg, &end, 10);
        if (errno != 0 || *end != '\0') {
            return cli_usage_error("ledger", "export: '%s' is not an entry index", arg);
        }
        *index = v;
        return 0;
    }
    if ((st = bw_lineage_build(&g, l, &err)) != BW_OK) {
        cli_report_error(&err, st);
        return CLI_EXIT_ERROR;
    }
    if ((roots = calloc(CLI_LINEAGE_MAX_ROOTS, sizeof(*roots))) == NULL) {
        bw_lineage_free(g);
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    rc = cli_lineage_resolve(g, arg, roots, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t e[1];
        size_t np = 0;
        bw_lineage_producers(g, roots[i], e, 0, &np);
        if (np > 0) {
            uint64_t *all = calloc(np, sizeof(*all));
            if (all == NULL) {
                rc = CLI_EXIT_ERROR;
                break;
            }
            bw_lineage_producers(g, roots[i], all, np, &np);
            if (found == 0 || all[np - 1] > *index) {
                *index = all[np - 1];
            }
            found += np;
            free(all);
        }
    }
    if (rc == 0 && found == 0) {
        cli_error("no stage run in the ledger produced '%s'", arg);
        rc = CLI_EXIT_USAGE;
    } else if (rc == 0 && found > 1) {
        cli_note("%zu stage runs produced '%s'; exporting the latest, entry %llu", found, arg,
                 (unsigned long long)*index);
    }
    free(roots);
    bw_lineage_free(g);
    return rc;
}

int cli_ledger_export(int argc, char **argv)
{
    enum { O_FORMAT = 0x2100, O_KEY, O_BUILDER, O_REPO, O_NS, O_EVENT, O_ALLOW_FAILED, O_STORE };
    static const struct option longopts[] = {
        {"store", required_argument, NULL, O_STORE},
        {"format", required_argument, NULL, O_FORMAT},
        {"key", required_argument, NULL, O_KEY},
        {"builder-id", required_argument, NULL, O_BUILDER},
        {"repo-uri", required_argument, NULL, O_REPO},
        {"namespace", required_argument, NULL, O_NS},
        {"event", required_argument, NULL, O_EVENT},
        {"allow-failed", no_argument, NULL, O_ALLOW_FAILED},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bw_export_opts eo = BW_EXPORT_OPTS_INIT;
    const char *format = NULL, *keyspec = NULL;
    bw_ledger *l = NULL;
    bw_key *key = NULL;
    bw_stage_run *run = NULL;
    bw_buf body = BW_BUF_INIT(1 << 24), out = BW_BUF_INIT((size_t)256 << 20);
    bw_ledger_entry e;
    bw_error err = {0};
    uint64_t index = 0;
    size_t dropped = 0;
    char name[64];
    int c, rc = CLI_EXIT_ERROR;
    bw_status st;

    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int g;
        switch (c) {
        case O_FORMAT: format = optarg; break;
        case 0x1001: format = optarg; break; /* the global --format, given a value of this command's */
        case O_KEY: keyspec = optarg; break;
        case O_BUILDER: eo.builder_id = optarg; break;
        case O_REPO: eo.repo_uri = optarg; break;
        case O_NS: eo.ol_namespace = optarg; break;
        case O_EVENT:
            if (strcmp(optarg, "start") == 0) {
                eo.event = BW_OL_START;
            } else if (strcmp(optarg, "complete") == 0) {
                eo.event = BW_OL_COMPLETE;
            } else if (strcmp(optarg, "fail") == 0) {
                eo.event = BW_OL_FAIL;
            } else {
                return cli_usage_error("ledger", "--event is start, complete or fail, not '%s'", optarg);
            }
            break;
        case O_ALLOW_FAILED: eo.allow_failed = 1; break;
        case O_STORE: cli_ledger_use(optarg, NULL); break;
        case 'h': return cli_print_usage(export_usage);
        case '?': return cli_usage_error("ledger", "unknown option '%s'", argv[optind - 1]);
        case ':': return cli_usage_error("ledger", "option '%s' needs a value", argv[optind - 1]);
        default:
            g = cli_global_option(c, optarg);
            if (g <= 0) {
                return g < 0 ? CLI_EXIT_USAGE : cli_usage_error("ledger", "unknown option");
            }
        }
    }
    if (optind != argc - 1) {
        return cli_usage_error("ledger", "export takes one stage_run entry index or artifact");
    }
    if (format == NULL ||
        (strcmp(format, "slsa") != 0 && strcmp(format, "openlineage") != 0 && strcmp(format, "in-toto-link") != 0)) {
        return cli_usage_error("ledger", "export needs --format slsa, openlineage or in-toto-link");
    }
    if (strcmp(format, "in-toto-link") == 0 && keyspec == NULL) {
        return cli_usage_error("ledger", "an in-toto link is signed: export --format in-toto-link needs --key");
    }
    if (strcmp(format, "openlineage") == 0 && keyspec != NULL) {
        return cli_usage_error("ledger", "OpenLineage events are not signed: --key goes with slsa or in-toto-link");
    }
    cli_resolve_color();
    if ((l = cli_ledger_open(false)) == NULL) {
        return CLI_EXIT_USAGE;
    }
    if ((rc = pick_entry(l, argv[optind], &index)) != 0) {
        goto out;
    }
    rc = CLI_EXIT_USAGE;
    st = bw_ledger_get(l, index, &body, &e, &err);
    if (st == BW_ENOTFOUND) {
        cli_error("the ledger has no entry %llu", (unsigned long long)index);
        goto out;
    }
    if (st != BW_OK) {
        cli_report_error(&err, st);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (strcmp(e.kind, "stage_run") != 0) {
        cli_error("entry %llu is a%s %s entry, not a stage_run", (unsigned long long)index,
                  strchr("aeiou", e.kind[0]) != NULL ? "n" : "", e.kind);
        goto out;
    }
    snprintf(name, sizeof(name), "ledger entry %llu", (unsigned long long)index);
    st = bw_stage_run_from_entry(e.body.ptr, e.body.len, name, &run, &dropped, &err);
    if (st != BW_OK) {
        cli_report_error(&err, st);
        goto out;
    }
    if (dropped > 0) {
        cli_note("%s: %zu member%s the provenance formats do not carry left out", name, dropped,
                 dropped == 1 ? "" : "s");
    }
    if (keyspec != NULL && cli_key_load(keyspec, true, NULL, &key) != 0) {
        goto out;
    }
    if (strcmp(format, "slsa") == 0) {
        char hint[65];
        if (key != NULL) {
            st = bw_key_hint(key, hint);
            if (st == BW_OK) {
                st = bw_export_slsa_dsse(run, &eo, key, hint, &out, &err);
            }
        } else {
            st = bw_export_slsa(run, &eo, &out, &err);
        }
    } else if (strcmp(format, "openlineage") == 0) {
        /* a run without times (a DVC import) happened by the time its entry was recorded */
        if (eo.event_time == NULL && run->ended == NULL && (eo.event != BW_OL_START || run->started == NULL)) {
            eo.event_time = run->time;
        }
        st = bw_export_openlineage(run, &eo, &out, &err);
    } else {
        char keyid[65];
        st = bw_export_intoto_keyid(key, keyid, &err);
        if (st == BW_OK) {
            st = bw_export_intoto_link(run, key, &out, &err);
        }
        if (st == BW_OK && !cli.quiet) {
            bw_buf fn = BW_BUF_INIT(1 << 16);
            for (const char *p = run->stage; *p != '\0'; p++) {
                bw_buf_addc(&fn, (*p == '/' || (unsigned char)*p < 0x20) ? '_' : *p);
            }
            cli_note("in-toto-verify looks for this link as '%s.%.8s.link'", fn.ptr != NULL ? fn.ptr : "", keyid);
            bw_buf_release(&fn);
        }
    }
    if (st != BW_OK) {
        cli_report_error(&err, st);
        rc = st == BW_EINVAL || st == BW_EUNSUPPORTED ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
        goto out;
    }
    bw_buf_addc(&out, '\n');
    if (cli_out_open() != 0) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    cli_out_write(out.ptr, out.len);
    rc = cli_out_finish(CLI_EXIT_OK);
out:
    bw_stage_run_free(run);
    bw_key_free(key);
    bw_buf_release(&body);
    bw_buf_release(&out);
    bw_ledger_close(l);
    return rc;
}

int cli_ledger_import(int argc, char **argv)
{
    enum { O_KEY = 0x2100, O_KEY_NAME, O_ACTOR, O_COMMIT, O_STORE, O_NOTE_KEY_FILE };
    const char *store = NULL, *note_key_file = NULL;
    static const struct option longopts[] = {
        {"store", required_argument, NULL, O_STORE},
        {"note-key-file", required_argument, NULL, O_NOTE_KEY_FILE},
        {"key", required_argument, NULL, O_KEY},
        {"key-name", required_argument, NULL, O_KEY_NAME},
        {"actor", required_argument, NULL, O_ACTOR},
        {"commit", required_argument, NULL, O_COMMIT},
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bw_dvc_opts dopts = BW_DVC_OPTS_INIT;
    const char *keyspec = NULL, *key_name = NULL, *actor = cli_actor(), *path;
    bw_buf raw = BW_BUF_INIT(BW_DVC_MAX_FILE + 1);
    bw_buf *filled = NULL;
    bw_bytes *batch = NULL;
    bw_stage_run *runs = NULL;
    bw_lineage *g = NULL;
    bw_key *key = NULL;
    bw_error err = {0};
    bw_ledger_head h;
    size_t n = 0, nb = 0, skipped = 0;
    char now[32], label[256];
    int c, rc = CLI_EXIT_ERROR;
    bw_status st;

    opterr = 0;
    while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int gopt;
        switch (c) {
        case O_KEY: keyspec = optarg; break;
        case O_KEY_NAME: key_name = optarg; break;
        case O_ACTOR: actor = optarg; break;
        case O_COMMIT: dopts.commit = optarg; break;
        case O_STORE: store = optarg; break;
        case O_NOTE_KEY_FILE: note_key_file = optarg; break;
        case 'h': return cli_print_usage(import_usage);
        case '?': return cli_usage_error("ledger", "unknown option '%s'", argv[optind - 1]);
        case ':': return cli_usage_error("ledger", "option '%s' needs a value", argv[optind - 1]);
        default:
            gopt = cli_global_option(c, optarg);
            if (gopt <= 0) {
                return gopt < 0 ? CLI_EXIT_USAGE : cli_usage_error("ledger", "unknown option");
            }
        }
    }
    if (optind != argc - 1) {
        return cli_usage_error("ledger", "import takes one dvc.lock file");
    }
    cli_ledger_use(store, note_key_file);
    path = argv[optind];
    cli_resolve_color();
    cli_now_rfc3339(now);
    dopts.actor = actor;
    dopts.time = now;
    st = bw_file_slurp(path, BW_FILE_FOLLOW | BW_FILE_STDIN, BW_DVC_MAX_FILE, &raw, &err);
    if (st == BW_OK) {
        st = bw_dvc_lock_parse(raw.ptr != NULL ? raw.ptr : "", raw.len, path, &dopts, &runs, &n, &err);
    }
    if (st != BW_OK) {
        cli_report_error(&err, st);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (n == 0) {
        cli_note("'%s' has no stages: nothing to import", path);
        rc = CLI_EXIT_OK;
        goto out;
    }
    if ((rc = cli_lineage_load(true, &g)) != 0) { /* the runs already recorded (none: no ledger yet) */
        goto out;
    }
    rc = CLI_EXIT_ERROR;
    filled = calloc(n, sizeof(*filled));
    batch = calloc(n, sizeof(*batch));
    if (filled == NULL || batch == NULL) {
        cli_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bw_buf j = BW_BUF_INIT(BW_STAGE_RUN_MAX_JSON);
        uint64_t have;
        bw_buf_init(&filled[i], BW_LEDGER_MAX_ENTRY);
        if (g != NULL && bw_lineage_find_run(g, runs[i].stage, runs[i].run_id, &have) == BW_OK) {
            if (cli.verbose) {
                cli_note("stage '%s' (run %s) is entry %llu already", runs[i].stage, runs[i].run_id,
                         (unsigned long long)have);
            }
            skipped++;
            continue;
        }
        st = bw_stage_run_write_json(&runs[i], &j);
        if (st == BW_OK) {
            st = bw_ledger_entry_fill(j.ptr, j.len, now, actor, &filled[i], &err);
        }
        bw_buf_release(&j);
        if (st != BW_OK) {
            cli_error("%s: stage '%s': %s", path, runs[i].stage, err.msg[0] != '\0' ? err.msg : bw_strerror(st));
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        batch[nb].ptr = (const uint8_t *)filled[i].ptr;
        batch[nb++].len = filled[i].len;
    }
    if (nb == 0) {
        cli_out_open();
        cli_out_printf("nothing to import: the %zu stage run%s of '%s' are in the ledger already\n", n,
                       n == 1 ? "" : "s", path);
        rc = cli_out_finish(CLI_EXIT_OK);
        goto out;
    }
    if (keyspec != NULL) {
        if (cli_key_load(keyspec, true, NULL, &key) != 0) {
            goto out;
        }
        if (key_name != NULL) {
            snprintf(label, sizeof(label), "%s", key_name);
        } else {
            cli_key_label(keyspec, label, sizeof(label));
        }
    }
    rc = cli_ledger_record_batch(batch, nb, key, key != NULL ? label : NULL, actor, now, &h);
    if (rc == CLI_EXIT_OK) {
        cli_out_open();
        cli_out_printf("imported %zu stage run%s from '%s' as entries %llu..%llu, %s", nb, nb == 1 ? "" : "s", path,
                       (unsigned long long)(h.size - nb), (unsigned long long)(h.size - 1),
                       key != NULL ? "signed" : "unsigned");
        if (skipped > 0) {
            cli_out_printf(" (%zu already recorded)", skipped);
        }
        cli_out_str("\n");
        rc = cli_out_finish(CLI_EXIT_OK);
    }
out:
    for (size_t i = 0; filled != NULL && i < n; i++) {
        bw_buf_release(&filled[i]);
    }
    free(filled);
    free(batch);
    bw_stage_runs_free(runs, n);
    bw_lineage_free(g);
    bw_key_free(key);
    bw_buf_release(&raw);
    return rc;
}
