/* sbx_escape: a guest trying to leave its `xlate run --root DIR` jail. Run as
 * `sbx_escape jailed` inside a root prepared by tests/sandbox.rs: /etc/passwd there
 * holds "inside", and ../outside.txt (next to the root on the host) must stay out of
 * reach. Every lookup must stay inside the root, whatever the path says: `..`,
 * absolute and relative symlinks, /proc/self/root, dirfd-relative *at calls, renames
 * and links towards the outside. With `ro` as a second argument it checks
 * --read-only instead. Without arguments it does nothing (it would act on the host). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sbx.h"

/* Prints what the first line of the file at `path` (relative to dirfd) says. */
static void peek_at(int dirfd, const char *path)
{
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0) {
        printf("open %s: %s\n", path, sbx_errname(errno));
        return;
    }
    char buf[64] = {0};
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = 0;
    printf("open %s: \"%s\"\n", path, n < 0 ? "?" : buf);
}

static void peek(const char *path)
{
    peek_at(AT_FDCWD, path);
}

static void cwd(void)
{
    char buf[256];
    if (getcwd(buf, sizeof buf))
        printf("cwd: %s\n", buf);
    else
        printf("cwd: %s\n", sbx_errname(errno));
}

static void exists(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        printf("lstat %s: exists\n", path);
    else
        printf("lstat %s: %s\n", path, sbx_errname(errno));
}

static void read_only(void)
{
    peek("/etc/passwd");
    sbx_report("create /new", open("/new", O_WRONLY | O_CREAT, 0644));
    sbx_report("open /etc/passwd for writing", open("/etc/passwd", O_WRONLY));
    sbx_report("truncate /etc/passwd", truncate("/etc/passwd", 0));
    sbx_report("mkdir /newdir", mkdir("/newdir", 0755));
    sbx_report("unlink /etc/passwd", unlink("/etc/passwd"));
    sbx_report("rename /etc/passwd", rename("/etc/passwd", "/etc/moved"));
    sbx_report("symlink /s", symlink("/etc", "/s"));
    sbx_report("chmod /etc/passwd", chmod("/etc/passwd", 0777));
    sbx_report("write to stdout", write(1, "", 0));
    peek("/etc/passwd");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || strcmp(argv[1], "jailed") != 0) {
        printf("run me as: xlate run --root DIR sbx_escape jailed\n");
        return 0;
    }
    if (argc > 2 && strcmp(argv[2], "ro") == 0) {
        read_only();
        return 0;
    }
    cwd();
    peek("/etc/passwd");
    peek("/../../../../../../etc/passwd");
    peek("../../../../../../etc/passwd");
    peek("/abs/passwd");
    peek("/rel/passwd");
    peek("/d/up/etc/passwd");
    peek("/proc/self/root/etc/passwd");
    peek("/proc/self/fd/0");
    peek("/proc/1/root/etc/passwd");
    peek("../outside.txt");
    peek("/d/out");

    int d = open("/d", O_RDONLY | O_DIRECTORY);
    peek_at(d, "../../../etc/passwd");
    peek_at(d, "up/etc/passwd");
    sbx_report("fchdir /d", fchdir(d));
    cwd();
    sbx_report("chdir ../../..", chdir("../../.."));
    cwd();
    sbx_report("chdir /abs", chdir("/abs"));
    cwd();
    sbx_report("chdir /", chdir("/"));

    struct stat st;
    if (stat("/abs/passwd", &st) == 0)
        printf("stat /abs/passwd: size %ld\n", (long)st.st_size);
    char link[64] = {0};
    long n = readlink("/abs", link, sizeof link - 1);
    printf("readlink /abs: %s\n", n < 0 ? sbx_errname(errno) : link);

    sbx_report("mkdir /../escaped", mkdir("/../escaped", 0755));
    exists("/escaped");
    sbx_report("symlink / as /d/rootlink", symlink("/", "/d/rootlink"));
    peek("/d/rootlink/etc/passwd");
    peek("/d/rootlink/../outside.txt");
    sbx_report("unlink ../outside.txt", unlink("../outside.txt"));
    sbx_report("unlink /d/up/../outside.txt", unlink("/d/up/../outside.txt"));
    sbx_report("unlinkat(/d, ../../outside.txt)", unlinkat(d, "../../outside.txt", 0));
    sbx_report("rename /etc/passwd to /../stolen", rename("/etc/passwd", "/../stolen"));
    exists("/stolen");
    sbx_report("rename /stolen back", rename("/stolen", "/etc/passwd"));
    sbx_report("link /abs/passwd to /rel/../../hardlink",
               linkat(AT_FDCWD, "/abs/passwd", AT_FDCWD, "/rel/../../hardlink", AT_SYMLINK_FOLLOW));
    exists("/hardlink");
    sbx_report("symlink /d/out to ../outside.txt", symlink("../outside.txt", "/d/out2"));
    peek("/d/out2");
    sbx_report("chmod /d/out", chmod("/d/out", 0777));
    sbx_report("truncate /d/out", truncate("/d/out", 0));
    sbx_report("rmdir /..", rmdir("/.."));

    sbx_report("mknod a character device", mknod("/null", S_IFCHR | 0666, makedev(1, 3)));
    sbx_report("mknod a FIFO", mknod("/fifo", S_IFIFO | 0666, 0));
    sbx_report("kill(1, 0)", kill(1, 0));
    sbx_report("kill(-1, 0)", kill(-1, 0));
    sbx_report("kill(getppid(), 0)", kill(getppid(), 0));
    sbx_report("kill(self, 0)", kill(getpid(), 0));
    sbx_report("socket(AF_INET)", socket(AF_INET, SOCK_STREAM, 0));
    sbx_report("socket(AF_UNIX)", socket(AF_UNIX, SOCK_STREAM, 0));
    return 0;
}
