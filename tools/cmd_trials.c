/* Placeholder until this command is written. */
#include <stdio.h>
#include "commands.h"
int cmd_trials(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "nntune trials: not implemented yet\n");
    return EXIT_RUNTIME;
}
