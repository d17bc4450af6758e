/* The init of the initramfs `xlate boot` boots Linux with (tests/linux_boot.rs): a static,
 * freestanding riscv64 Linux program that prints one line on the console and powers the
 * machine off with reboot(2) (LINUX_REBOOT_CMD_POWER_OFF, which Linux turns into SBI SRST
 * or the test finisher). No libc: raw system calls (riscv64 Linux syscall ABI). */

#define SYS_write 64
#define SYS_reboot 142
#define SYS_exit 93
#define LINUX_REBOOT_MAGIC1 0xfee1deadL
#define LINUX_REBOOT_MAGIC2 672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

static long sys3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static long sys4(long n, long a, long b, long c, long d)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a7) : "memory");
    return a0;
}

static const char msg[] = "xlate-init: hello from userspace, powering off\n";

void _start(void)
{
    /* The kernel opened /dev/console (in the initramfs) as fds 0, 1 and 2. */
    sys3(SYS_write, 1, (long)msg, sizeof msg - 1);
    sys4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
    /* Not reached unless reboot failed (init exiting makes the kernel panic). */
    sys3(SYS_exit, 1, 0, 0);
    for (;;) {
    }
}
