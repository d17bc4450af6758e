/* realistic: ordinary C library work: qsort of integers, doubles and strings,
 * printf/snprintf formatting of floats (%.6f %e %g %a, which run glibc's
 * multi-precision soft paths), strtod corner cases (hex floats, subnormals,
 * overflow with ERANGE, inf/nan), strtol bases and overflow, string functions
 * (memmove overlap, strstr, strtok_r, ...) and a few libm functions. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errname.h"

static uint64_t seed = 88172645463325252ULL;
static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    puts("== qsort");
    enum { N = 2000 };
    static int iv[N];
    static double dv[N];
    for (int i = 0; i < N; i++) {
        iv[i] = (int)(rnd() % 2000001) - 1000000;
        dv[i] = (double)(int64_t)(rnd() % 2000000001) / 1000.0 - 1e6 / 1000.0 * 1000.0;
    }
    qsort(iv, N, sizeof iv[0], cmp_int);
    qsort(dv, N, sizeof dv[0], cmp_dbl);
    int sorted = 1;
    long long isum = 0;
    double dsum = 0;
    for (int i = 0; i < N; i++) {
        if (i && (iv[i - 1] > iv[i] || dv[i - 1] > dv[i]))
            sorted = 0;
        isum += iv[i];
        dsum += dv[i];
    }
    printf("sorted=%d isum=%lld dsum=%.6f\n", sorted, isum, dsum);
    printf("ints: %d %d %d ... %d %d\n", iv[0], iv[1], iv[2], iv[N - 2], iv[N - 1]);
    printf("doubles: %.6f %.6f ... %.6f\n", dv[0], dv[1], dv[N - 1]);
    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "apple pie", "Zebra", "date"};
    qsort(words, 8, sizeof words[0], cmp_str);
    for (int i = 0; i < 8; i++)
        printf("%s%s", words[i], i < 7 ? "," : "\n");

    puts("== printf formatting");
    double vals[] = {0.0, -0.0, 1.0, 0.1, 2.0 / 3.0, 1e21, 1e-7, 123456.789, -9.87654321e-300,
                     5e-324, 1.7976931348623157e308, 0.5, 1.5, 2.5, -2.5, 1234567.0};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
        printf("%.6f | %e | %g | %a | %.0f | %.17g\n", vals[i], vals[i], vals[i], vals[i], vals[i],
               vals[i]);
    printf("[%10.3f] [%-10.2e] [%+g] [% .3g] [%08.2f] [%.30f]\n", M_PI, M_E, 100.0, 1e-5, -3.14159,
           0.1);
    printf("%f %f %F %e\n", INFINITY, -INFINITY, NAN, NAN);
    printf("%d %i %u %x %X %o %ld %lld %llu %zu %c %s %%\n", -42, 42, 42u, 0xdeadu, 0xbeefu, 8,
           LONG_MIN, LLONG_MAX, ULLONG_MAX, sizeof(long double), 'x', "str");
    printf("%Lf %La\n", (long double)1 / 3, (long double)1 / 3); /* 128-bit long double: soft float */
    char small[8];
    const char *volatile word = "truncated";
    int w = snprintf(small, sizeof small, "%s-%d", (const char *)word, 12345);
    printf("snprintf returned %d, buffer [%s]\n", w, small);
    w = snprintf(NULL, 0, "%.3f", 2.0 / 3.0);
    printf("snprintf(NULL,0) = %d\n", w);

    puts("== strtod");
    const char *inputs[] = {"3.14159", "  -2.5e-3xyz", "0x1.8p3", "1e-320", "2.2250738585072011e-308",
                            "1e400", "-1e400", "inf", "-Infinity", "nan", "nan(123)", "-0",
                            "0.1000000000000000055511151231257827021181583404541015625", "abc",
                            "4.9406564584124654e-324", "2e-324", "1.7976931348623158e308"};
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *end;
        errno = 0;
        double v = strtod(inputs[i], &end);
        union { double d; uint64_t u; } c = {v};
        printf("strtod(\"%s\") = %016llx %.17g consumed=%ld errno=%s\n", inputs[i],
               (unsigned long long)c.u, v, (long)(end - inputs[i]), errname(errno));
    }
    errno = 0;
    float fv = strtof("3.4028236e38", NULL);
    printf("strtof overflow: %g errno=%s\n", fv, errname(errno));
    printf("atof(\"1.25\") = %g\n", atof("1.25"));

    puts("== strtol");
    const char *ints[] = {"123", "-0x7f", "0777", "9223372036854775807", "9223372036854775808",
                          "-9223372036854775809", "  +42abc", "zz"};
    int bases[] = {10, 16, 0, 10, 10, 10, 10, 36};
    for (int i = 0; i < 8; i++) {
        char *end;
        errno = 0;
        long v = strtol(ints[i], &end, bases[i]);
        printf("strtol(\"%s\", %d) = %ld consumed=%ld errno=%s\n", ints[i], bases[i], v,
               (long)(end - ints[i]), errname(errno));
    }
    errno = 0;
    unsigned long uv = strtoul("-1", NULL, 10);
    printf("strtoul(\"-1\") = %lu errno=%s\n", uv, errname(errno));

    puts("== strings");
    char buf[64] = "0123456789abcdefghij";
    memmove(buf + 3, buf, 10);
    printf("memmove forward overlap: %s\n", buf);
    memmove(buf, buf + 5, 10);
    printf("memmove backward overlap: %s\n", buf);
    printf("strlen=%zu strcmp=%d/%d/%d strncmp=%d memcmp=%d\n", strlen("hello world"),
           strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("same", "same"),
           strncmp("abcdef", "abcxyz", 3), memcmp("\x80", "\x01", 1) > 0);
    printf("strcasecmp=%d strncasecmp=%d\n", strcasecmp("HeLLo", "hello"), strncasecmp("ABCd", "abce", 3));
    const char *hay = "the quick brown fox jumps over the lazy dog";
    printf("strstr=%ld strchr=%ld strrchr=%ld memchr=%ld strspn=%zu strcspn=%zu\n",
           strstr(hay, "fox") - hay, strchr(hay, 'q') - hay, strrchr(hay, 'o') - hay,
           (const char *)memchr(hay, 'z', strlen(hay)) - hay, strspn(hay, "eht "), strcspn(hay, "xyz"));
    char tok[] = "a,b;;c,,d";
    char *save, *t = strtok_r(tok, ",;", &save);
    printf("tokens:");
    while (t) {
        printf(" [%s]", t);
        t = strtok_r(NULL, ",;", &save);
    }
    printf("\n");
    char dst[16];
    memset(dst, 'X', sizeof dst);
    strncpy(dst, "abc", 6);
    printf("strncpy pads: %d %d %d %c\n", dst[3], dst[4], dst[5], dst[6]);
    char big1[300], big2[300];
    for (int i = 0; i < 300; i++)
        big1[i] = big2[i] = (char)('a' + i % 26);
    big1[299] = big2[299] = 0;
    big2[257] = 'A';
    printf("long strcmp diff at 257: %d, memcmp(257)=%d\n", strcmp(big1, big2) > 0, memcmp(big1, big2, 257));
    char *dup = strdup(hay);
    printf("strdup equal: %d\n", strcmp(dup, hay) == 0);
    free(dup);

    puts("== libm");
    double xs[] = {0.5, 1.0, 2.0, 10.0, -3.25};
    for (int i = 0; i < 5; i++) {
        double x = xs[i];
        printf("x=%g sqrt=%.17g exp=%.17g log=%.17g sin=%.17g cos=%.17g atan=%.17g pow=%.17g floor=%g round=%g\n",
               x, sqrt(fabs(x)), exp(x), log(fabs(x)), sin(x), cos(x), atan(x), pow(fabs(x), 1.5),
               floor(x), round(x));
    }
    printf("fmod=%g remainder=%g hypot=%g cbrt=%.17g lrint(2.5)=%ld\n", fmod(10.5, 3.0),
           remainder(10.5, 3.0), hypot(3.0, 4.0), cbrt(27.0), lrint(2.5));
    return 0;
}
