/* Deaths by signal, as the shell sees them (128+N): abort() -> 134, a segmentation fault
 * -> 139, SIGTERM sent to itself -> 143, SIGKILL -> 137, an illegal instruction without a
 * handler -> 132, a blocked SIGSEGV from a fault still kills -> 139. argv[1] picks.
 * "spin" and "spin_handler" print a line and spin without syscalls until a signal from
 * outside (tests/signals.rs) ends them: by its default action, or through a SIGTERM handler
 * that prints and exits with status 3. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int *volatile bad = (volatile int *)8;
static volatile unsigned long spins;

static void on_term(int sig)
{
    (void)sig;
    static const char msg[] = "caught SIGTERM\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(4);
    _exit(3);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    printf("dying by %s\n", what);
    fflush(stdout);
    if (!strcmp(what, "abort"))
        abort();
    if (!strcmp(what, "segv"))
        *bad = 1;
    if (!strcmp(what, "term"))
        kill(getpid(), SIGTERM);
    if (!strcmp(what, "kill"))
        raise(SIGKILL);
    if (!strcmp(what, "ill"))
        asm volatile(".4byte 0");
    if (!strcmp(what, "blocked_segv")) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        signal(SIGSEGV, SIG_IGN);
        *bad = 1;
    }
    if (!strcmp(what, "spin_handler"))
        signal(SIGTERM, on_term);
    if (!strncmp(what, "spin", 4))
        for (;;)
            spins++;
    if (!strcmp(what, "exit"))
        exit(argc > 2 ? atoi(argv[2]) : 0);
    puts("survived");
    return 0;
}
