/* execve: the program execs itself (through /proc/self/exe, with its own argv[0] and a new
 * environment) in a forked child and the parent checks the child's output and status;
 * execve of a host program (/bin/sh), execve errors (ENOENT, EACCES), and
 * /proc/self/exe naming the program. Run with "child" it is the exec'd side. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int run(char *const argv[], char *const envp[], const char *path)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execve(path, argv, envp);
        printf("execve failed: %s\n", strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    close(fd[1]);
    char buf[512];
    ssize_t n = 0, r;
    while ((r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    buf[n] = 0;
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    printf("child said: %s", buf);
    printf("child status: %d\n", WEXITSTATUS(status));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        const char *v = getenv("PROC_EXEC_VAR");
        printf("argv0=%s argc=%d arg2=%s var=%s\n", argv[0], argc, argc > 2 ? argv[2] : "-",
               v ? v : "(unset)");
        return 5;
    }
    char self[256];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    const char *base = strrchr(self, '/');
    printf("/proc/self/exe ends with: %s\n", base ? base + 1 : self);

    char *args[] = {"renamed-argv0", "child", "two words", NULL};
    char *env[] = {"PROC_EXEC_VAR=hello", NULL};
    run(args, env, "/proc/self/exe");

    char *sh[] = {"sh", "-c", "echo host shell says $0; exit 9", "x", NULL};
    run(sh, environ, "/bin/sh");

    char *none[] = {"nope", NULL};
    errno = 0;
    execve("/nonexistent/program", none, environ);
    printf("execve of a missing file: %s\n", errno == ENOENT ? "ENOENT" : "other");
    execve("/", none, environ);
    printf("execve of a directory: %s\n", errno == EACCES ? "EACCES" : "other");
    return 0;
}
