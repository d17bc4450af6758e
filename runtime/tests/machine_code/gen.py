#!/usr/bin/env python3
"""Assembles the programs of runtime/tests/machine.rs into machine_code/mod.rs.

Each program is linked at 0x80000000 (RAM_BASE) with riscv64-unknown-elf-as/ld, no
compressed instructions; the Rust constant lists each 32-bit word with its disassembly.
Run from anywhere after changing a program: python3 runtime/tests/machine_code/gen.py
"""
import os, re, subprocess, tempfile

TOHOST = 0x80001000
PASS = f"li t0, 1; li t1, {TOHOST:#x}; sd t0, 0(t1); 99: j 99b"
def FAIL(n): return f"li t0, {(n << 1) | 1}; li t1, {TOHOST:#x}; sd t0, 0(t1); 98: j 98b"
TO_U = "li t0, 0x1800; csrc mstatus, t0"
TO_S = "li t0, 0x1800; csrc mstatus, t0; li t0, 0x800; csrs mstatus, t0"
SATP = "li t0, (8 << 60) | (0x80010000 >> 12); csrw satp, t0"

PROGRAMS = {
 # ecall from M: mcause 11, mepc at the ecall, MPP = M; mret returns past it.
 "TRAP_M": f"""
    la t0, handler; csrw mtvec, t0
    li a0, 5
    ecall
    addi a0, a0, 1
    {PASS}
 handler:
    csrr a1, mcause; csrr a2, mepc; csrr a3, mstatus
    addi a2, a2, 4; csrw mepc, a2
    mret
 """,
 # U ecall delegated to S (medeleg bit 8); S ecall (not delegated) to M.
 "DELEGATION": f"""
    la t0, mhandler; csrw mtvec, t0
    la t0, shandler; csrw stvec, t0
    li t0, 1 << 8; csrw medeleg, t0
    {TO_U}
    la t0, user; csrw mepc, t0
    mret
 user:
    ecall
 shandler:
    csrr a1, scause; csrr a2, sepc; csrr a3, sstatus
    ecall
 mhandler:
    csrr a4, mcause; csrr a5, mepc; csrr a6, mstatus
    {PASS}
 """,
 # U-mode reads mstatus: illegal instruction, mtval = the instruction bits.
 "CSR_PERMISSION": f"""
    la t0, mhandler; csrw mtvec, t0
    {TO_U}
    la t0, user; csrw mepc, t0
    mret
 user:
    csrr a0, mstatus
 mhandler:
    csrr a1, mcause; csrr a2, mtval; csrr a3, mepc
    {PASS}
 """,
 # S-mode under Sv39: load and store through a 4 KiB page (A and D get set), then a store
 # to s3 that must page-fault. The test builds the page tables.
 "SV39": f"""
    la t0, mhandler; csrw mtvec, t0
    {SATP}
    {TO_S}
    la t0, super; csrw mepc, t0
    mret
 super:
    ld a0, 0(s1)
    sd s2, 8(s1)
    sd s2, 0(s3)
 mhandler:
    csrr a1, mcause; csrr a2, mtval; csrr a3, mepc
    {PASS}
 """,
 # M-mode with MPRV = 1 and MPP = S: loads translate; with MPRV = 0 they do not.
 "MPRV": f"""
    {SATP}
    {TO_S}
    li t0, 1 << 17; csrs mstatus, t0
    ld a0, 0(s1)
    li t0, 1 << 17; csrc mstatus, t0
    ld a1, 0(s5)
    {PASS}
 """,
 # Vectored mtvec; a machine software interrupt raised through the CLINT's msip (taken at
 # the next block boundary: the program waits in a loop, as hardware may take time).
 "VECTORED_MSI": f"""
    la t0, vec; ori t0, t0, 1; csrw mtvec, t0
    li t0, 8; csrw mie, t0
    csrsi mstatus, 8
    li t1, 0x2000000; li t0, 1; sw t0, 0(t1)
 spin:
    j spin
    .align 2
 vec:
    j fail; j fail; j fail; j msi
 msi:
    csrr a1, mcause; csrr a2, mepc
    li t1, 0x2000000; sw zero, 0(t1)
    {PASS}
 fail:
    {FAIL(3)}
 """,
 # HTIF: putchar 'x', then tohost = (5 << 1) | 1 as two 32-bit halves.
 "HTIF_HALVES": f"""
    li t1, {TOHOST:#x}
    li t0, (1 << 56) | (1 << 48) | 'x'; sd t0, 0(t1)
    li t0, 11; sw t0, 0(t1)
    sw zero, 4(t1)
 1: j 1b
 """,
 # Only the low half: the word is never completed, the run does not end.
 "HTIF_LOW_HALF_ONLY": f"""
    li t1, {TOHOST:#x}
    li t0, 11
 1: sw t0, 0(t1)
    j 1b
 """,
 # minstret written by csrw reads back exactly; reads are exact within a block.
 "MINSTRET": f"""
    li t0, 100
    csrw minstret, t0
    csrr a0, minstret
    addi a4, a4, 1
    addi a4, a4, 1
    csrr a1, minstret
    {PASS}
 """,
 # FS = Off: fadd.d is illegal; with FS on it runs and makes FS dirty (SD set).
 "FS_OFF": f"""
    la t0, h; csrw mtvec, t0
    fadd.d f1, f2, f3
 h: csrr a1, mcause; csrr a2, mtval
    li t0, 0x2000; csrs mstatus, t0
    fadd.d f1, f2, f3
    csrr a3, mstatus
    {PASS}
 """,

 # Self-modifying code for machine_smc.rs, in pieces the test places on separate pages
 # (position-independent): MAIN at RAM_BASE calls F (RAM_BASE + 0x3000), G (+ 0x5000) and H
 # (+ 0x6ff8, crossing into the page at + 0x7000) 3 times a round for a0 rounds; before each
 # round it patches F's first instruction to `addi a0, a0, round + 1` and H's instruction at
 # + 0x7000 to `addi a2, a2, round + 1`, then runs fence.i. G is never patched.
 "SMC_MAIN": f"""
    mv s4, a0
    li s0, 0x80003000; li s1, 0x80005000; li s2, 0x80006ff8; li s3, 0x80007000
    li s6, 0; li a0, 0; li a1, 0; li a2, 0
 round:
    addi t2, s6, 1; slli t2, t2, 20
    li t1, 0x00050513; or t0, t2, t1; sw t0, 0(s0)
    li t1, 0x00060613; or t0, t2, t1; sw t0, 0(s3)
    fence.i
    li s7, 3
 call:
    jalr ra, 0(s0); jalr ra, 0(s1); jalr ra, 0(s2)
    addi s7, s7, -1; bnez s7, call
    addi s6, s6, 1; blt s6, s4, round
    {PASS}
 """,
 "SMC_F": "addi a0, a0, 100; ret",
 "SMC_G": "addi a1, a1, 1; ret",
 "SMC_H": "addi a2, a2, 1; addi zero, zero, 0; addi a2, a2, 100; ret",
}
# S-mode with TW, TVM and TSR set: each instruction traps as illegal.
for name, insn in [("TW_WFI", "wfi"), ("TVM_SFENCE", "sfence.vma"), ("TSR_SRET", "sret"),
                   ("TVM_SATP", "csrr a0, satp")]:
    PROGRAMS[name] = f"""
    la t0, mhandler; csrw mtvec, t0
    li t0, (1 << 20) | (1 << 21) | (1 << 22); csrs mstatus, t0
    {TO_S}
    la t0, super; csrw mepc, t0
    mret
 super:
    {insn}
 mhandler:
    csrr a1, mcause; csrr a2, mtval; csrr a3, mepc
    {PASS}
 """

HERE = os.path.dirname(os.path.abspath(__file__))
out = ["// @generated by gen.py from the programs in it. Do not edit by hand.",
       "//! Hand-assembled test programs for `machine.rs`, linked at RAM_BASE (0x80000000).", ""]
with tempfile.TemporaryDirectory() as d:
    for name, src in PROGRAMS.items():
        s = os.path.join(d, "p.s"); o = os.path.join(d, "p.o"); e = os.path.join(d, "p.elf")
        with open(s, "w") as f:
            f.write(".option norvc\n.globl _start\n_start:\n" + src.replace(";", "\n") + "\n")
        subprocess.run(["riscv64-unknown-elf-as", "-march=rv64gc", "-o", o, s], check=True)
        subprocess.run(["riscv64-unknown-elf-ld", "-Ttext=0x80000000", "-o", e, o], check=True)
        dis = subprocess.run(["riscv64-unknown-elf-objdump", "-d", "-M", "no-aliases,numeric", e],
                             check=True, capture_output=True, text=True).stdout
        out.append("#[rustfmt::skip]")
        out.append(f"pub const {name}: &[u32] = &[")
        for line in dis.splitlines():
            m = re.match(r"\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)", line)
            if m:
                out.append(f"    0x{m.group(2)}, // {int(m.group(1), 16):#x}: {m.group(3).strip()}")
        out.append("];")
        syms = subprocess.run(["riscv64-unknown-elf-nm", e], check=True, capture_output=True,
                              text=True).stdout
        for line in syms.splitlines():
            addr, kind, sym = line.split()
            if kind in "tT" and re.fullmatch(r"[a-z]+", sym) and sym != "_start":
                out.append(f"pub const {name}_{sym.upper()}: u64 = 0x{int(addr, 16):x};")
        out.append("")
with open(os.path.join(HERE, "mod.rs"), "w") as f:
    f.write("\n".join(out))
print(f"{len(PROGRAMS)} programs")
