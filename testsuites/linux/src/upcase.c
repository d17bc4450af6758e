/* upcase: cat-like filter, copies stdin to stdout uppercased (ASCII only).
 * Uses raw read/write with a small buffer so several reads are needed, and
 * reports the byte count on stderr-free stdout at the end. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char buf[64];
    long total = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] -= 'a' - 'A';
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, n - off);
            if (w <= 0)
                return 2;
            off += w;
        }
        total += n;
    }
    if (n < 0)
        return 3;
    printf("-- %ld bytes\n", total);
    return 0;
}
