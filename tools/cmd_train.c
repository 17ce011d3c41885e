/* Placeholder until this command is written. */
#include <stdio.h>
#include "commands.h"
int cmd_train(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "nntune train: not implemented yet\n");
    return EXIT_RUNTIME;
}
