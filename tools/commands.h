/* The nntune CLI's subcommands. Each takes argc/argv starting at the
 * subcommand name and returns the process exit code:
 * 0 success, 1 runtime or data error, 2 usage error. */
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
