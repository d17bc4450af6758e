/* A shell-like pipeline built with fork, pipe, dup2 and execve of itself: the equivalent of
 * `gen 5 | upcase | count`, three processes connected by pipes, each stage the same program
 * running another role (argv[1]), the parent waiting for all three. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int stage_gen(int n)
{
    for (int i = 1; i <= n; i++)
        printf("line number %d of the pipeline\n", i);
    return 0;
}

static int stage_upcase(void)
{
    int c;
    while ((c = getchar()) != EOF)
        putchar(toupper(c));
    return 0;
}

static int stage_count(void)
{
    char line[256];
    int lines = 0;
    size_t bytes = 0;
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        bytes += strlen(line);
        fputs(line, stdout);
    }
    printf("count: %d lines, %zu bytes\n", lines, bytes);
    return lines == 5 ? 0 : 1;
}

static pid_t spawn(const char *role, int in, int out)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (in != 0) {
            dup2(in, 0);
            close(in);
        }
        if (out != 1) {
            dup2(out, 1);
            close(out);
        }
        char *argv[] = {"stage", (char *)role, NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "gen"))
            return stage_gen(5);
        if (!strcmp(argv[1], "upcase"))
            return stage_upcase();
        if (!strcmp(argv[1], "count"))
            return stage_count();
        return 2;
    }
    int p1[2], p2[2];
    if (pipe(p1) || pipe(p2))
        return 1;
    fflush(stdout);
    pid_t a = spawn("gen", 0, p1[1]);
    close(p1[1]);
    pid_t b = spawn("upcase", p1[0], p2[1]);
    close(p1[0]);
    close(p2[1]);
    pid_t c = spawn("count", p2[0], 1);
    close(p2[0]);
    int st, ok = 0;
    pid_t pids[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    printf("pipeline: %d of 3 stages succeeded\n", ok);
    return 0;
}
