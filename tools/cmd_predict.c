/* Placeholder until this command is written. */
#include <stdio.h>
#include "commands.h"
int cmd_predict(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "nntune predict: not implemented yet\n");
    return EXIT_RUNTIME;
}
