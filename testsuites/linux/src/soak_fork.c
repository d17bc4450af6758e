/* Soak: 200 forked children alive at once. Each child runs a little translated code (a
 * checksum over its own index), sends one byte down a shared pipe and exits with a status
 * derived from its index; the parent waits for every one and checks each status, the bytes
 * and the order-independent sum. Then 200 more, one at a time, each running execve-free
 * work and reaped with wait4 by pid. Nothing may be lost, nothing may hang. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 200

static unsigned work(unsigned i)
{
    unsigned h = 2166136261u ^ i;
    for (unsigned k = 0; k < 2000; k++)
        h = (h ^ (k + i)) * 16777619u;
    return h;
}

int main(void)
{
    int fd[2], go[2];
    if (pipe(fd) != 0 || pipe(go) != 0)
        return 1;
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pid_t p = fork();
        if (p < 0) {
            perror("fork");
            return 1;
        }
        if (p == 0) {
            close(fd[0]);
            close(go[1]);
            unsigned char b = (unsigned char)(work(i) & 0xff);
            if (write(fd[1], &b, 1) != 1)
                _exit(255);
            /* Block until the parent has forked them all (end of file on `go`): every
             * child is alive at once. */
            char c;
            if (read(go[0], &c, 1) != 0)
                _exit(254);
            _exit(i % 251);
        }
        pids[i] = p;
    }
    close(fd[1]);
    close(go[0]);
    close(go[1]);
    unsigned bytes = 0, nbytes = 0;
    unsigned char buf[64];
    ssize_t r;
    while ((r = read(fd[0], buf, sizeof buf)) > 0)
        for (ssize_t k = 0; k < r; k++, nbytes++)
            bytes += buf[k];
    unsigned expect = 0;
    for (int i = 0; i < N; i++)
        expect += work(i) & 0xff;
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != i % 251)
            bad++;
    }
    printf("parallel: %d children, %u bytes, sum %s, %d bad statuses\n", N, nbytes,
           bytes == expect ? "ok" : "WRONG", bad);
    /* Sequential: fork, wait, repeat. */
    int seq_bad = 0;
    for (int i = 0; i < N; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit((int)(work(i + N) % 200));
        int st;
        if (p < 0 || waitpid(p, &st, 0) != p || WEXITSTATUS(st) != (int)(work(i + N) % 200))
            seq_bad++;
    }
    printf("sequential: %d children, %d bad\n", N, seq_bad);
    /* No child left behind. */
    printf("wait after all: %d\n", wait(NULL) == -1);
    return bad || seq_bad || nbytes != N;
}
