#!/usr/bin/env python3
"""Time to the U-Boot prompt: OpenSBI fw_jump + S-mode U-Boot under `xlate boot` and under
qemu-system-riscv64 -M virt, same images, same interaction (press a key at the autoboot
countdown, wait for `=>`, type `version`, `poweroff`).

    scripts/boot-time.py [-n RUNS] [--xlate PATH]

Prints per run: seconds to the OpenSBI banner, to the autoboot countdown, to the `=>` prompt,
and to exit after `poweroff`; then the medians.
"""
import argparse, os, select, statistics, subprocess, time

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"


def session(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf = b""
    marks = {}

    def wait_for(needle, name, timeout=120):
        nonlocal buf
        end = time.monotonic() + timeout
        while needle not in buf:
            r, _, _ = select.select([p.stdout], [], [], max(0, end - time.monotonic()))
            if not r:
                p.kill()
                raise SystemExit(f"timeout waiting for {needle!r} in {cmd}")
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit(f"EOF waiting for {needle!r}")
            buf += chunk
        marks[name] = time.monotonic() - t0
        buf = buf[buf.index(needle) + len(needle):]

    wait_for(b"OpenSBI v", "opensbi")
    wait_for(b"Hit any key", "countdown")
    p.stdin.write(b"\n"); p.stdin.flush()
    wait_for(b"=> ", "prompt")
    p.stdin.write(b"version\n"); p.stdin.flush()
    wait_for(b"=> ", "version")
    p.stdin.write(b"poweroff\n"); p.stdin.flush()
    p.wait(timeout=60)
    marks["exit"] = time.monotonic() - t0
    return marks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--xlate", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "xlate"))
    a = ap.parse_args()
    cmds = {
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-bios", FW, "-kernel", UBOOT,
                 "-nographic", "-monitor", "none", "-serial", "stdio"],
        "xlate-jit": [a.xlate, "boot", "-m", "256M", "--bios", FW, "--kernel", UBOOT],
        "xlate-interp": [a.xlate, "boot", "-m", "256M", "--engine", "interp", "--bios", FW, "--kernel", UBOOT],
    }
    res = {k: [] for k in cmds}
    for i in range(a.n):
        for k, c in cmds.items():  # interleaved
            m = session(c)
            res[k].append(m)
            print(f"run {i} {k:13s} " + " ".join(f"{n}={v:.3f}" for n, v in m.items()), flush=True)
    print("median seconds:")
    for k, runs in res.items():
        print(f"  {k:13s} " + " ".join(f"{n}={statistics.median(r[n] for r in runs):.3f}" for n in runs[0]))


if __name__ == "__main__":
    main()
