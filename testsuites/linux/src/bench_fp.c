/* bench_fp: workload for the engine benchmarks (benches/engines.rs) and a test case.
 * A small n-body style double-precision loop: fadd/fmul/fdiv/fsqrt/fmadd through the
 * soft-float helpers. Prints the result with enough digits to catch any rounding error.
 * Optional argument: steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NB 5

struct body { double x, y, z, vx, vy, vz, m; };

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 20000;
    struct body b[NB];
    for (int i = 0; i < NB; i++) {
        b[i].x = i * 1.25 - 2.0; b[i].y = (i % 2) * 0.75; b[i].z = i * 0.1;
        b[i].vx = 0.01 * i; b[i].vy = -0.02 * i; b[i].vz = 0.005;
        b[i].m = 1.0 + i * 0.5;
    }
    const double dt = 0.001;
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < NB; i++)
            for (int j = i + 1; j < NB; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double mag = dt / (d2 * sqrt(d2));
                b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
                b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
            }
        for (int i = 0; i < NB; i++) {
            b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz;
        }
    }
    double e = 0;
    for (int i = 0; i < NB; i++)
        e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    printf("energy %.17g x0 %a\n", e, b[0].x);
    return 0;
}
