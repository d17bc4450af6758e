#!/usr/bin/env python3
"""Checks rvc::expand against GNU objdump over all 49152 compressed halfwords:

    python3 translator/tests/common/check_rvc_objdump.py

Each halfword and its expansion are disassembled (default aliases); the texts must agree except
where objdump prints a HINT or an alias differently (listed below). Reserved encodings must be
ones objdump does not decode, except c.addi16sp with nzimm=0 (reserved by the spec, decoded by
objdump as `addi sp,sp,0`).
"""
import os, pathlib, re, struct, subprocess, tempfile

ROOT = pathlib.Path(__file__).resolve().parents[3]
# (compressed mnemonic, expanded mnemonic) pairs that differ only in how objdump names them.
ALIASES = {("add", "mv"), ("c.add", "add"), ("c.li", "li"), ("c.li", "nop"), ("c.lui", "lui"),
           ("c.mv", "add"), ("c.nop", "li"), ("c.slli", "sll"), ("c.slli64", "sll"),
           ("c.srai64", "sra"), ("c.srli64", "srl"), ("mv", "add")}

with tempfile.TemporaryDirectory() as d:
    dump = pathlib.Path(d, "dump.txt")
    subprocess.run(["cargo", "test", "-q", "-p", "translator", "--test", "integer",
                    "rvc_dump_for_objdump", "--", "--ignored"],
                   cwd=ROOT, check=True, env={**os.environ, "RVC_DUMP": str(dump)})
    rows = [l.split() for l in dump.read_text().splitlines()]
    hs = [int(h, 16) for h, _ in rows]
    ws = [int(w, 16) if w != "none" else 0x13 for _, w in rows]
    hb, wb = pathlib.Path(d, "h.bin"), pathlib.Path(d, "w.bin")
    hb.write_bytes(b"".join(struct.pack("<H", h) for h in hs))
    wb.write_bytes(b"".join(struct.pack("<I", w) for w in ws))

    def dis(f):
        out = subprocess.run(["riscv64-linux-gnu-objdump", "-D", "-b", "binary", "-m",
                              "riscv:rv64", "-M", "max", f],
                             capture_output=True, text=True, check=True).stdout
        return [(int(m.group(1), 16), m.group(2).strip()) for m in
                (re.match(r"\s*([0-9a-f]+):\s+[0-9a-f]+\s+(.*)$", l) for l in out.splitlines())
                if m]

    H, W = dis(hb), dis(wb)

def norm(addr, t):
    t = re.sub(r"\s+", " ", re.sub(r"<[^>]*>|#.*$", "", t)).strip()
    m = re.match(r"^(j|jal|beqz|bnez|beq|bne) (.*)$", t)
    if m:  # pc-relative targets as offsets
        ops = m.group(2).split(",")
        off = (int(ops[-1], 16) - addr + (1 << 63)) % (1 << 64) - (1 << 63)
        t = m.group(1) + " " + ",".join(ops[:-1] + [f"{off:+d}"])
    return t

assert len(H) == len(W) == len(hs)
bad = []
for (h, w), (ha, ht), (wa, wt) in zip(zip(hs, [r[1] for r in rows]), H, W):
    a, b = norm(ha, ht), norm(wa, wt)
    if w == "none":
        if not (a.startswith((".2byte", "unimp")) or h == 0x6101):
            bad.append(f"{h:04x}: reserved here, objdump says {a}")
    elif a != b and (a.split()[0], b.split()[0]) not in ALIASES:
        bad.append(f"{h:04x}: {a} | {b}")
print("\n".join(bad[:50]) or f"ok: {sum(r[1] != 'none' for r in rows)} expansions agree")
raise SystemExit(1 if bad else 0)
