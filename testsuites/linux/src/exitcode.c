/* exitcode: exit status pass-through.
 *   exitcode exit N   -> exit(N) (atexit handler runs, stdio is flushed)
 *   exitcode ret N    -> return N from main
 *   exitcode _exit N  -> _exit(N) (no atexit, unflushed stdio is lost)
 * Output is written with printf without a newline flush so that the test also
 * checks that exit() flushes buffered stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bye(void) { printf("atexit ran\n"); }

int main(int argc, char **argv)
{
    if (argc != 3) {
        printf("usage: exitcode exit|ret|_exit N\n");
        return 1;
    }
    int n = atoi(argv[2]);
    atexit(bye);
    printf("mode=%s status=%d\n", argv[1], n);
    if (strcmp(argv[1], "exit") == 0)
        exit(n);
    if (strcmp(argv[1], "_exit") == 0) {
        fflush(stdout);
        printf("this line is lost\n");
        _exit(n);
    }
    return n;
}
