#!/usr/bin/env python3
"""Write a reproducible newc ("070701") cpio archive, the format of a Linux initramfs
(Documentation/driver-api/early-userspace/buffer-format.rst): every entry owned by root,
mtime 0, inode numbers in order, ending with the TRAILER!!! entry.

    mkcpio.py OUT.cpio dir:NAME | file:NAME=PATH[:MODE] | chr:NAME=MAJOR,MINOR ...
"""
import sys


def entry(ino, name, mode, data=b"", rdev=(0, 0), nlink=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    out_path, specs = sys.argv[1], sys.argv[2:]
    blob = b""
    for ino, spec in enumerate(specs, start=1):
        kind, rest = spec.split(":", 1)
        if kind == "dir":
            blob += entry(ino, rest, 0o040755, nlink=2)
        elif kind == "file":
            name, path = rest.split("=", 1)
            mode = 0o100755
            if ":" in path:
                path, m = path.rsplit(":", 1)
                mode = 0o100000 | int(m, 8)
            with open(path, "rb") as f:
                blob += entry(ino, name, mode, f.read())
        elif kind == "chr":
            name, devs = rest.split("=", 1)
            major, minor = (int(x) for x in devs.split(","))
            blob += entry(ino, name, 0o020600, rdev=(major, minor))
        else:
            sys.exit(f"mkcpio: unknown entry kind {kind!r}")
    blob += entry(0, "TRAILER!!!", 0)
    blob += b"\0" * (-len(blob) % 512)
    with open(out_path, "wb") as f:
        f.write(blob)


main()
