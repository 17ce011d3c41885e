/* Placeholder until this command is written. */
#include <stdio.h>
#include "commands.h"
int cmd_importance(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "nntune importance: not implemented yet\n");
    return EXIT_RUNTIME;
}
