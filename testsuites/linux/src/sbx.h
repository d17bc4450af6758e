/* sbx.h: helpers shared by the sandbox probes (sbx_*.c): errno names, so output does
 * not depend on strerror text, and one-line result printers. */
#include <errno.h>
#include <stdio.h>
static const char *sbx_errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EROFS: return "EROFS";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    case EBUSY: return "EBUSY";
    case ESRCH: return "ESRCH";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return "E?";
    }
}

/* Prints "what: ok" for r >= 0, "what: ENAME" otherwise (r is a syscall-style -1). */
static void sbx_report(const char *what, long r)
{
    if (r < 0)
        printf("%s: %s\n", what, sbx_errname(errno));
    else
        printf("%s: ok\n", what);
}
