/* fileio: file-system system calls. Works in a directory "fileio.tmp" under the
 * current directory, which it creates and removes again. Covers open/openat,
 * write/read/pread64/pwrite64, lseek (incl. holes), fstat/stat/lstat/fstatat,
 * readv/writev, getdents64 (names sorted), mkdir/unlink/rename/renameat/rmdir,
 * getcwd/chdir/fchdir, dup/dup3, pipe2, fcntl, symlink/readlink, access/faccessat,
 * ftruncate, and the errno values for the usual failures. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "errname.h"

#define D "fileio.tmp"

#define CHECK(expr)                                                                      \
    do {                                                                                 \
        errno = 0;                                                                       \
        long r_ = (long)(expr);                                                          \
        printf("%-58s = %ld %s\n", #expr, r_, r_ < 0 ? errname(errno) : "");             \
    } while (0)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    char buf[512]; /* small, so several getdents64 calls are needed */
    char *names[64];
    int n = 0, calls = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        calls++;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            char t = d->d_type == DT_DIR ? 'd' : d->d_type == DT_REG ? 'f' : d->d_type == DT_LNK ? 'l' : '?';
            char *s = malloc(strlen(d->d_name) + 3);
            sprintf(s, "%s %c", d->d_name, t);
            if (n < 64)
                names[n++] = s;
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(names, n, sizeof names[0], cmp);
    printf("listing %s: %d entries, more than one getdents64 call: %s\n", path, n,
           calls > 1 ? "yes" : "no");
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
}

static void cleanup(void)
{
    static const char *files[] = {D "/sub/x.txt", D "/sub/y.txt", D "/a.txt", D "/v.txt",
                                  D "/w.txt", D "/link"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof name, D "/file-with-a-long-name-%02d", i);
        unlink(name);
    }
    rmdir(D "/sub");
    rmdir(D);
}

int main(void)
{
    cleanup(); /* leftovers from an interrupted run */
    umask(022);
    CHECK(mkdir(D, 0755));
    CHECK(mkdir(D, 0755));
    CHECK(access(D, F_OK));
    CHECK(access(D "/nope", F_OK));
    CHECK(open(D "/nope", O_RDONLY));

    puts("-- write/read/lseek");
    int fd = open(D "/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("open a.txt ok: %d\n", fd >= 3);
    CHECK(write(fd, "hello, file\n", 12));
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 0, SEEK_SET));
    char buf[256];
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, 5));
    printf("read: [%s]\n", buf);
    CHECK(lseek(fd, -2, SEEK_END));
    CHECK(read(fd, buf, sizeof buf));
    CHECK(read(fd, buf, sizeof buf)); /* EOF */
    CHECK(pwrite(fd, "HELLO", 5, 0));
    CHECK(lseek(fd, 0, SEEK_CUR)); /* pwrite does not move the offset */
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 100, 0));
    printf("pread: [%s]\n", buf);
    CHECK(lseek(fd, 100, SEEK_SET)); /* hole */
    CHECK(write(fd, "end", 3));
    CHECK(pread(fd, buf, 10, 50));
    printf("hole bytes all zero: %d\n", !memchr(buf, 1, 10) && buf[0] == 0 && buf[9] == 0);
    CHECK(lseek(fd, -1000, SEEK_SET));

    puts("-- stat");
    struct stat st;
    CHECK(fstat(fd, &st));
    printf("size=%lld reg=%d mode=%o nlink=%lu\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 0777, (unsigned long)st.st_nlink);
    CHECK(ftruncate(fd, 7));
    CHECK(stat(D "/a.txt", &st));
    printf("size after ftruncate=%lld\n", (long long)st.st_size);
    CHECK(stat(D, &st));
    printf("dir=%d\n", S_ISDIR(st.st_mode));
    CHECK(fstatat(AT_FDCWD, D "/a.txt", &st, 0));
    CHECK(fsync(fd));

    puts("-- readv/writev");
    struct iovec iov[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
    int fd2 = open(D "/v.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(writev(fd2, iov, 3));
    CHECK(lseek(fd2, 0, SEEK_SET));
    char b1[3], b2[5], b3[20];
    memset(b3, 0, sizeof b3);
    struct iovec riov[3] = {{b1, 3}, {b2, 5}, {b3, 20}};
    CHECK(readv(fd2, riov, 3));
    printf("readv: [%.3s][%.5s][%s]\n", b1, b2, b3);
    close(fd2);

    puts("-- dup/dup3/fcntl");
    int d1 = dup(fd);
    printf("dup > fd: %d\n", d1 > fd);
    CHECK(lseek(d1, 0, SEEK_CUR) == lseek(fd, 0, SEEK_CUR)); /* shared offset */
    CHECK(dup3(fd, 40, O_CLOEXEC));
    CHECK(fcntl(40, F_GETFD));
    CHECK(fcntl(d1, F_GETFD));
    CHECK(dup3(fd, fd, 0));
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK(fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFL) & O_ACCMODE);
    CHECK(fcntl(fd, F_SETFL, O_APPEND));
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0);
    CHECK(fcntl(fd, F_DUPFD, 50));
    CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 50));
    CHECK(close(40));
    CHECK(close(50));
    CHECK(close(51));
    CHECK(close(40));
    CHECK(read(40, buf, 1));
    close(d1);
    close(fd);

    puts("-- pipe2");
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
    CHECK(read(p[0], buf, 10));
    CHECK(write(p[1], "piped", 5));
    memset(buf, 0, sizeof buf);
    CHECK(read(p[0], buf, 10));
    printf("pipe: [%s]\n", buf);
    CHECK(fcntl(p[0], F_GETFD));
    CHECK((fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0);
    CHECK(lseek(p[0], 0, SEEK_SET));
    close(p[1]);
    CHECK(read(p[0], buf, 10));
    close(p[0]);

    puts("-- symlink/readlink/rename");
    CHECK(symlink("a.txt", D "/link"));
    memset(buf, 0, sizeof buf);
    CHECK(readlink(D "/link", buf, sizeof buf));
    printf("readlink: [%s]\n", buf);
    CHECK(readlink(D "/link", buf, 3)); /* truncated, no NUL */
    CHECK(readlink(D "/a.txt", buf, sizeof buf));
    CHECK(lstat(D "/link", &st));
    printf("lnk=%d\n", S_ISLNK(st.st_mode));
    CHECK(stat(D "/link", &st));
    printf("through link: reg=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    CHECK(rename(D "/v.txt", D "/w.txt"));
    CHECK(access(D "/v.txt", F_OK));
    CHECK(mkdir(D "/sub", 0700));
    int dfd = open(D, O_RDONLY | O_DIRECTORY);
    CHECK(renameat(dfd, "w.txt", dfd, "sub/x.txt"));
    CHECK(faccessat(dfd, "sub/x.txt", R_OK | W_OK, 0));
    fd = openat(dfd, "sub/y.txt", O_CREAT | O_WRONLY | O_EXCL, 0600);
    printf("openat ok: %d\n", fd >= 0);
    close(fd);
    CHECK(openat(dfd, "sub/y.txt", O_CREAT | O_WRONLY | O_EXCL, 0600));
    CHECK(open(D "/a.txt/x", O_RDONLY));
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof name, D "/file-with-a-long-name-%02d", i);
        close(open(name, O_CREAT | O_WRONLY, 0600));
    }
    list_dir(D);
    list_dir(D "/sub");

    puts("-- getcwd/chdir");
    char cwd[4096], cwd2[4096];
    getcwd(cwd, sizeof cwd);
    CHECK(chdir(D "/sub"));
    getcwd(cwd2, sizeof cwd2);
    printf("cwd ends with /" D "/sub: %d\n",
           strlen(cwd2) > 15 && strcmp(cwd2 + strlen(cwd2) - 15, "/" D "/sub") == 0);
    printf("cwd is parent + /" D "/sub: %d\n",
           strncmp(cwd, cwd2, strlen(cwd)) == 0 && strcmp(cwd2 + strlen(cwd), "/" D "/sub") == 0);
    CHECK(access("x.txt", F_OK));
    CHECK(fchdir(dfd));
    CHECK(access("a.txt", F_OK));
    CHECK(chdir("../.."));
    CHECK(chdir(cwd));
    CHECK(chdir(D "/a.txt"));
    CHECK(getcwd(buf, 2) == NULL);
    printf("errno %s\n", errname(errno));

    puts("-- cleanup");
    CHECK(rmdir(D "/sub"));
    CHECK(unlink(D "/sub"));
    CHECK(unlinkat(dfd, "sub/x.txt", 0));
    CHECK(unlinkat(dfd, "sub/y.txt", 0));
    CHECK(unlinkat(dfd, "sub", AT_REMOVEDIR));
    CHECK(unlink(D "/link"));
    CHECK(unlink(D "/a.txt"));
    for (int i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof name, D "/file-with-a-long-name-%02d", i);
        if (unlink(name) != 0)
            printf("unlink %s failed\n", name);
    }
    close(dfd);
    CHECK(rmdir(D));
    CHECK(access(D, F_OK));
    fflush(stdout);
    CHECK(write(1, "direct write to stdout\n", 23));
    return 0;
}
