/* hello: the smallest glibc program. Built three ways: static (hello),
 * dynamically linked (hello_dyn, needs -L /usr/riscv64-linux-gnu) and
 * static-pie (hello_pie). Exercises startup, stdio buffering and exit. */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    printf("%s %d %x\n", "printf", 12345, 0xbeefu);
    return 0;
}
