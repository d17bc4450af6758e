/* An init for the virtio block test (tests/virtio.rs): loads virtio_mmio.ko.xz and
 * virtio_blk.ko.xz from the initramfs root with finit_module(2) (Debian's kernel builds both as
 * modules and decompresses them itself: MODULE_INIT_COMPRESSED_FILE), mounts devtmpfs on /dev,
 * prints the first line of /dev/vda's sector 0, writes sector 1, syncs and powers off. Static,
 * freestanding, raw system calls (riscv64 Linux syscall ABI). */

#define SYS_mount 40
#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_pwrite64 68
#define SYS_fsync 82
#define SYS_exit 93
#define SYS_reboot 142
#define SYS_finit_module 273
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_RDWR 2
#define MODULE_INIT_COMPRESSED_FILE 4
#define LINUX_REBOOT_MAGIC1 0xfee1deadL
#define LINUX_REBOOT_MAGIC2 672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

static long sys5(long n, long a, long b, long c, long d, long e)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a4 __asm__("a4") = e;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7)
                     : "memory");
    return a0;
}

static unsigned long len(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys5(SYS_write, 1, (long)s, len(s), 0, 0);
}

static void power_off(void)
{
    sys5(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0);
    sys5(SYS_exit, 1, 0, 0, 0, 0);
    for (;;) {
    }
}

/* "xlate-vda: WHAT failed: -ERRNO", then power off. */
static void check(long r, const char *what)
{
    char num[24];
    int i = sizeof num;
    unsigned long v;
    if (r >= 0)
        return;
    v = (unsigned long)-r;
    num[--i] = 0;
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 1);
    num[--i] = '-';
    say("xlate-vda: ");
    say(what);
    say(" failed: ");
    say(num + i);
    say("\n");
    power_off();
}

static void load(const char *path)
{
    long fd = sys5(SYS_openat, AT_FDCWD, (long)path, O_RDONLY, 0, 0);
    check(fd, path);
    check(sys5(SYS_finit_module, fd, (long)"", MODULE_INIT_COMPRESSED_FILE, 0, 0), "finit_module");
    sys5(SYS_close, fd, 0, 0, 0, 0);
}

static char sector[512];
static const char note[] = "written by Linux through virtio-blk\n";

void _start(void)
{
    long fd, n, i;
    load("/virtio_mmio.ko.xz");
    load("/virtio_blk.ko.xz");
    check(sys5(SYS_mount, (long)"devtmpfs", (long)"/dev", (long)"devtmpfs", 0, 0), "mount");
    fd = sys5(SYS_openat, AT_FDCWD, (long)"/dev/vda", O_RDWR, 0, 0);
    check(fd, "open /dev/vda");
    n = sys5(SYS_read, fd, (long)sector, sizeof sector, 0, 0);
    check(n, "read /dev/vda");
    for (i = 0; i < 64 && i < n && sector[i] != '\n'; i++) {
    }
    say("xlate-vda: sector 0: ");
    sys5(SYS_write, 1, (long)sector, i, 0, 0);
    say("\n");
    for (i = 0; i < (long)sizeof sector; i++)
        sector[i] = i < (long)sizeof note - 1 ? note[i] : 0;
    check(sys5(SYS_pwrite64, fd, (long)sector, sizeof sector, 512, 0), "write /dev/vda");
    check(sys5(SYS_fsync, fd, 0, 0, 0, 0), "fsync /dev/vda");
    say("xlate-vda: wrote sector 1, powering off\n");
    power_off();
}
