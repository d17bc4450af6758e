#!/usr/bin/env python3
"""Boot times under `xlate boot` and under qemu-system-riscv64 -M virt, same images.

U-Boot (default): OpenSBI fw_jump + S-mode U-Boot, same interaction (press a key at the
autoboot countdown, wait for `=>`, type `version`, `poweroff`). Prints per run: seconds to the
OpenSBI banner, to the autoboot countdown, to the `=>` prompt, and to exit after `poweroff`.

Linux (--linux): a kernel Image (default /tmp/xlate-kernel/Image, scripts/fetch-kernel.sh) with
the project's initramfs (testsuites/boot/bin/initramfs.cpio), `--bios none` under xlate
(qemu has no built-in SBI: its `-bios none` starts Linux in M-mode, which cannot boot) and
Debian's OpenSBI under both. Prints seconds to the kernel banner,
to the init's line and to exit (poweroff).

    scripts/boot-time.py [-n RUNS] [--xlate PATH]... [--linux [--kernel IMAGE]] [--only NAMES]

Then the medians and minimums. With --xlate given more than once (binaries to compare, e.g.
before and after a change), each xlate configuration runs with each binary, interleaved,
labelled by the binary's index (#0, #1, ...). --only runs the configurations whose names
contain one of the comma-separated words (e.g. --only jit-none,qemu).
"""
import argparse, os, select, statistics, subprocess, time

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"


INITRD = os.path.join(os.path.dirname(__file__), "..", "testsuites", "boot", "bin", "initramfs.cpio")
INIT_LINE = b"xlate-init: hello from userspace"


def linux_session(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf = b""
    marks = {}
    for needle, name in [(b"Linux version", "banner"), (INIT_LINE, "init")]:
        end = time.monotonic() + 600
        while needle not in buf:
            r, _, _ = select.select([p.stdout], [], [], max(0, end - time.monotonic()))
            if not r:
                p.kill()
                raise SystemExit(f"timeout waiting for {needle!r} in {cmd}")
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit(f"EOF waiting for {needle!r} in {cmd}")
            buf += chunk
        marks[name] = time.monotonic() - t0
        buf = buf[buf.index(needle) + len(needle):]
    p.stdout.read()
    p.wait(timeout=120)
    marks["exit"] = time.monotonic() - t0
    return marks


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
    ap.add_argument("--xlate", action="append",
                    help="xlate binary (repeat to compare binaries; default target/release/xlate)")
    ap.add_argument("--only", help="comma-separated words: run only configurations naming one")
    ap.add_argument("--linux", action="store_true", help="boot Linux to the initramfs's init")
    ap.add_argument("--kernel", default="/tmp/xlate-kernel/Image")
    a = ap.parse_args()
    binaries = a.xlate or [os.path.join(os.path.dirname(__file__), "..", "target", "release", "xlate")]
    a.xlate = "XLATE"
    run = session
    cmds = {
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-bios", FW, "-kernel", UBOOT,
                 "-nographic", "-monitor", "none", "-serial", "stdio"],
        "xlate-jit": [a.xlate, "boot", "-m", "256M", "--bios", FW, "--kernel", UBOOT],
        "xlate-interp": [a.xlate, "boot", "-m", "256M", "--engine", "interp", "--bios", FW, "--kernel", UBOOT],
    }
    if a.linux:
        run = linux_session
        k = ["-kernel", a.kernel, "-initrd", INITRD, "-append", "console=ttyS0"]
        xk = ["--kernel", a.kernel, "--initrd", INITRD, "--append", "console=ttyS0"]
        q = ["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-nographic", "-monitor", "none",
             "-serial", "stdio"]
        cmds = {
            "xlate-jit-none": [a.xlate, "boot", "-m", "256M", "--bios", "none"] + xk,
            "xlate-int-none": [a.xlate, "boot", "-m", "256M", "--engine", "interp", "--bios", "none"] + xk,
            "qemu-opensbi": q + ["-bios", FW] + k,
            "xlate-jit-sbi": [a.xlate, "boot", "-m", "256M", "--bios", FW] + xk,
        }
    if len(binaries) > 1:
        multi = {}
        for k, c in cmds.items():
            if c[0] != "XLATE":
                multi[k] = c
                continue
            for i, b in enumerate(binaries):
                multi[f"{k}#{i}"] = [b] + c[1:]
        cmds = multi
    else:
        cmds = {k: [binaries[0] if x == "XLATE" else x for x in c] for k, c in cmds.items()}
    if a.only:
        words = a.only.split(",")
        cmds = {k: c for k, c in cmds.items() if any(w in k for w in words)}
    res = {k: [] for k in cmds}
    for i in range(a.n):
        for k, c in cmds.items():  # interleaved
            m = run(c)
            res[k].append(m)
            print(f"run {i} {k:17s} " + " ".join(f"{n}={v:.3f}" for n, v in m.items()), flush=True)
    for what, f in [("median", statistics.median), ("minimum", min)]:
        print(f"{what} seconds:")
        for k, runs in res.items():
            print(f"  {k:17s} " + " ".join(f"{n}={f(r[n] for r in runs):.3f}" for n in runs[0]))
    if len(binaries) > 1:
        for i, b in enumerate(binaries):
            print(f"  #{i}: {b}")


if __name__ == "__main__":
    main()
