/* The nntune CLI's subcommands. Each takes argc/argv starting at the
 * subcommand name and returns the process exit code:
 * 0 success, 1 runtime or data error (also: a study that ends without a
 * completed trial), 2 usage error, 130 / 143 stopped by SIGINT / SIGTERM after
 * saving what the command promises (train: the best weights so far; tune: the
 * study, resumable). */
#ifndef NNTUNE_TOOLS_COMMANDS_H
#define NNTUNE_TOOLS_COMMANDS_H

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_trials(int argc, char **argv);
int cmd_best(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_importance(int argc, char **argv);

#endif
