/* nntune report: an HTML (or Markdown, CSV, JSON) report of a study. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "study_common.h"

#define CMD "report"

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune report STORAGE [--study NAME] [-o FILE] [--format html|md|csv|json]\n"
"                     [--suggest-space FILE] [--top K]\n"
"\n"
"Explains a study (default: the most recent one in STORAGE), finished or still\n"
"running: plots, importance of each parameter, best regions, overfitting,\n"
"diverged trials, and a narrower search space for the next study.\n"
"\n"
"  --study NAME           the study\n"
"  -o, --output FILE      write the report to FILE (atomically). Without it, HTML\n"
"                         goes to report.html and the other formats to stdout\n"
"  --format F             html (default; or from the -o extension .md, .csv,\n"
"                         .json): a self-contained page with inline SVG plots;\n"
"                         md: Markdown summary and tables; csv, json: the trial\n"
"                         table, one column per parameter, for spreadsheets/pandas\n"
"  --suggest-space FILE   also write the suggested search space as a study file\n"
"                         (run it with: nntune tune FILE --data ...)\n"
"  --top K                learning curves of the K best trials (default 5)\n"
"  -h, --help             this help\n"
"\n"
"Methods and formats: docs/report.md. Exit status: 0 written, 1 storage or\n"
"write error (or no complete trial for --suggest-space), 2 usage error.\n"
"\n"
"Examples:\n"
"  nntune report study.db                  (writes report.html)\n"
"  nntune report study.db -o study.md\n"
"  nntune report study.db --suggest-space next.json && nntune tune next.json --data data.csv\n");
}

static int format_from_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/')) {
        int f = nnt_report_format_from_name(dot + 1);
        if (f >= 0) return f;
    }
    return NNT_REPORT_HTML;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"suggest-space", required_argument, NULL, 'S'},
        {"top", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *study = NULL, *out = NULL, *suggest = NULL;
    int fmt = -1, c;
    nnt_report_options ro = nnt_report_options_default();
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'o': out = optarg; break;
        case 'f':
            fmt = nnt_report_format_from_name(optarg);
            if (fmt < 0)
                return cli_usage_error(CMD, "--format: expected html, md, csv or json, got '%s'",
                                       optarg);
            break;
        case 'S': suggest = optarg; break;
        case 't':
            if (cli_parse_int(CMD, "--top", optarg, 1, 10, &ro.top_k) != 0) return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_getopt_error(CMD, c, argv, opts);
        }
    }
    const char *path;
    int urc = cli_one_operand(CMD, argc, argv, "STORAGE", &path);
    if (urc != EXIT_OK) return urc;
    if (fmt < 0) fmt = out ? format_from_path(out) : NNT_REPORT_HTML;
    if (!out && fmt == NNT_REPORT_HTML) out = "report.html";
    if (cli_check_output(CMD, "--output", out) != EXIT_OK ||
        cli_check_output(CMD, "--suggest-space", suggest) != EXIT_OK)
        return EXIT_RUNTIME;

    nnt_report *rep = NULL;
    int r = sc_report_load(CMD, path, study, &ro, &rep);
    if (r != EXIT_OK) return r;
    nnt_error err;
    nnt_error_clear(&err);

    int rc = EXIT_OK;
    if (out) {
        r = nnt_report_save(rep, (nnt_report_format)fmt, out, &err);
        if (r < 0) rc = cli_lib_error(CMD, r, &err);
        else if (strcmp(out, "-")) fprintf(stderr, "nntune report: wrote %s\n", out);
    } else {
        char *text = NULL;
        size_t len = 0;
        r = nnt_report_render(rep, (nnt_report_format)fmt, &text, &len, &err);
        if (r < 0) {
            rc = cli_lib_error(CMD, r, &err);
        } else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            cli_error(CMD, "cannot write to standard output");
            rc = EXIT_RUNTIME;
        }
        free(text);
    }
    if (rc == EXIT_OK && suggest) {
        r = nnt_report_save_suggested_space(rep, suggest, &err);
        if (r < 0) rc = cli_lib_error(CMD, r, &err);
        else fprintf(stderr, "nntune report: wrote the suggested search space to %s\n", suggest);
    }
    nnt_report_free(rep);
    return rc;
}
