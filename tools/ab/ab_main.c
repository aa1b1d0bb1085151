/* Placeholder until the A/B harness lands (issue 4). */
#include "launcher.h"
#include <stdio.h>
int mn_ab_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "mnrt ab: not built yet\n");
    return 2;
}
