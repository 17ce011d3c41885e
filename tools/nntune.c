/* nntune: command-line front end. Dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "nntune/nntune.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} commands[] = {
    {"train", cmd_train, "train one network and save it"},
    {"predict", cmd_predict, "predict with a saved model (CSV output)"},
    {"eval", cmd_eval, "evaluate a saved model on labelled data"},
    {"tune", cmd_tune, "run (or resume) a hyperparameter study"},
    {"trials", cmd_trials, "list the trials of a study"},
    {"best", cmd_best, "show the best trial of a study"},
    {"importance", cmd_importance, "how much each hyperparameter mattered"},
    {"report", cmd_report, "write an HTML/Markdown/CSV/JSON report of a study"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nntune COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'nntune help COMMAND' (or 'nntune COMMAND --help') describes a command's options.\n"
               "Exit status: 0 success, 1 runtime or data error, 2 usage error, 130 / 143\n"
               "stopped by SIGINT / SIGTERM (train and tune save their work first).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") && argc >= 3) {
        /* `nntune help COMMAND` is `nntune COMMAND --help` */
        if (argc > 3) {
            fprintf(stderr, "nntune help: unexpected argument '%s'\n", argv[3]);
            return EXIT_USAGE;
        }
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                char *args[] = {argv[2], "--help", NULL};
                return commands[i].run(2, args);
            }
        fprintf(stderr, "nntune help: unknown command '%s'\n", argv[2]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("nntune %s (BLAS: %s)\n", nnt_version(), nnt_blas_info());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nntune: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
