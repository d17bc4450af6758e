/* Processes: fork + pipe + waitpid (the child writes through the pipe and exits with a
 * status), a child killed by a signal, every exit status 0..255 seen through wait4,
 * vfork + _exit, waitid, SIGCHLD delivered to a handler, copy-on-fork memory (a child's
 * writes are not seen by the parent) and MAP_SHARED|MAP_ANONYMOUS memory (they are, also
 * after MADV_DONTNEED and through a page made writable later), getppid in the child. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int chld;
static int shared_value = 1;
static volatile int *volatile bad = (volatile int *)16;

static void on_chld(int sig)
{
    (void)sig;
    chld++;
}

int main(void)
{
    int fd[2];
    if (pipe(fd) != 0)
        return 1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        close(fd[0]);
        shared_value = 2;
        char msg[64];
        int n = snprintf(msg, sizeof msg, "hello from the child, ppid ok=%d", getppid() == parent);
        if (write(fd[1], msg, n) != n)
            _exit(100);
        _exit(7);
    }
    close(fd[1]);
    char buf[128];
    ssize_t total = 0, r;
    while ((r = read(fd[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += r;
    buf[total] = 0;
    int status;
    pid_t w = waitpid(pid, &status, 0);
    printf("parent read: \"%s\"\n", buf);
    printf("waitpid: same pid=%d exited=%d status=%d shared_value=%d\n", w == pid,
           WIFEXITED(status), WEXITSTATUS(status), shared_value);

    /* Shared anonymous memory: what the child writes, the parent sees. The second page
     * starts read-only and is made writable in the child; MADV_DONTNEED keeps the
     * contents of shared memory. */
    volatile int *sh = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED || mprotect((void *)(sh + 1024), 4096, PROT_READ) != 0)
        return 1;
    sh[0] = 1;
    pid = fork();
    if (pid == 0) {
        sh[0] = 42;
        if (mprotect((void *)(sh + 1024), 4096, PROT_READ | PROT_WRITE) != 0)
            _exit(1);
        sh[1024] = 43;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    int before = sh[0];
    madvise((void *)sh, 4096, MADV_DONTNEED);
    printf("shared anonymous memory: child wrote %d and %d, after MADV_DONTNEED %d\n", before,
           sh[1024], sh[0]);

    /* A child killed by SIGSEGV, one by SIGTERM. */
    pid = fork();
    if (pid == 0) {
        *bad = 1;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("segfaulting child: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
    pid = fork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("terminated child: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));

    /* Every exit status, through wait4 with rusage. */
    int ok = 0;
    for (int i = 0; i < 256; i++) {
        pid = fork();
        if (pid == 0)
            _exit(i);
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) == pid && WIFEXITED(status) && WEXITSTATUS(status) == i)
            ok++;
    }
    printf("exit statuses 0..255: %d ok\n", ok);

    /* vfork + _exit. */
    pid = vfork();
    if (pid == 0)
        _exit(42);
    waitpid(pid, &status, 0);
    printf("vfork child: status=%d\n", WEXITSTATUS(status));

    /* SIGCHLD to a handler; waitid. */
    signal(SIGCHLD, on_chld);
    pid = fork();
    if (pid == 0)
        _exit(3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    while (waitid(P_PID, pid, &si, WEXITED) != 0)
        ;
    printf("waitid: pid ok=%d code=%s status=%d\n", si.si_pid == pid,
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);
    while (chld == 0)
        ;
    printf("SIGCHLD handler ran: %d\n", chld);
    printf("no more children: %d\n", wait(NULL) == -1);
    return 0;
}
