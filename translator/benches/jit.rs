//! JIT against the interpreter on small CPU-bound RV64I loops (`cargo bench -p translator --bench
//! jit`): guest instructions per second of each engine, compile cost per block, and the effect
//! of the translation threshold and of Cranelift's optimisation level.

use std::time::Instant;

use translator::emit::{AmoOp, CsrOp, Width};
use translator::interp::{amo_apply, Env, FastMem, Interp, InterpEngine};
use translator::jit::{JitConfig, JitEngine, OptLevel, RegAlloc};
use translator::{Cause, CpuState, Exception};

const SIZE: usize = 4 << 20;

/// Flat 4 MiB guest memory: code pages 0x1000..0x40000 (read-execute), data read-write.
struct BenchEnv {
    _buf: Box<[u8]>,
    base: *mut u8,
    perms: Box<[u8]>,
}

impl BenchEnv {
    fn new(code: &[u32]) -> Self {
        let mut buf = vec![0u8; SIZE].into_boxed_slice();
        for (i, w) in code.iter().enumerate() {
            buf[0x1000 + 4 * i..0x1000 + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        let base = buf.as_mut_ptr();
        // One byte per page, then FastMem's guard byte (zero).
        let mut perms = vec![1u8 | 2; SIZE / 4096 + 1].into_boxed_slice();
        perms[SIZE / 4096] = 0;
        for p in &mut perms[1..64] {
            *p = 1 | 4;
        }
        Self {
            _buf: buf,
            base,
            perms,
        }
    }
    fn ok(&self, addr: u64, len: u64, need: u8) -> bool {
        addr.checked_add(len).is_some_and(|e| e <= SIZE as u64)
            && self.perms[(addr >> 12) as usize] & need != 0
            && self.perms[((addr + len - 1) >> 12) as usize] & need != 0
    }
}

impl Env for BenchEnv {
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        if !self.ok(addr, w.bytes(), 1) {
            return Err(Exception::new(Cause::LoadPageFault, addr));
        }
        let mut v = [0u8; 8];
        // SAFETY: checked inside the buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.add(addr as usize),
                v.as_mut_ptr(),
                w.bytes() as usize,
            )
        };
        Ok(u64::from_le_bytes(v))
    }
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        if !self.ok(addr, w.bytes(), 2) {
            return Err(Exception::new(Cause::StorePageFault, addr));
        }
        // SAFETY: checked inside the buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(
                val.to_le_bytes().as_ptr(),
                self.base.add(addr as usize),
                w.bytes() as usize,
            )
        };
        Ok(())
    }
    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        let old = self.load(addr, w)?;
        self.store(addr, amo_apply(op, old, val, w), w)?;
        Ok(old)
    }
    fn cmpxchg(&mut self, addr: u64, e: u64, n: u64, w: Width) -> Result<bool, Exception> {
        let old = self.load(addr, w)?;
        if old == e {
            self.store(addr, n, w)?;
        }
        Ok(old == e)
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        if !self.ok(addr, 2, 4) {
            return Err(Exception::new(Cause::InstructionPageFault, addr));
        }
        self.load(addr, Width::H).map(|v| v as u16)
    }
    fn csr(
        &mut self,
        _: &mut CpuState,
        _: u16,
        _: CsrOp,
        _: u64,
        _: bool,
        _: bool,
    ) -> Result<u64, Exception> {
        Err(Exception::new(Cause::IllegalInstruction, 0))
    }
    fn fence_i(&mut self) {}
    fn take_code_flush(&mut self) -> bool {
        false
    }
    fn fast_memory(&self) -> Option<FastMem> {
        // SAFETY: the buffer and table are owned by self and never move; all pages are host
        // read-write; the table ends with a zero guard byte.
        Some(unsafe {
            FastMem::new(
                self.base,
                self.perms.as_ptr(),
                (SIZE / 4096) as u64,
                1,
                2,
                16,
            )
        })
    }
}

fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x13)
}
fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    rs2 << 20 | rs1 << 15 | rd << 7 | 0x33
}
fn lui(rd: u32, imm20: u32) -> u32 {
    imm20 << 12 | rd << 7 | 0x37
}
fn jal(rd: u32, off: i32) -> u32 {
    let i = off as u32;
    (i >> 20 & 1) << 31
        | (i >> 1 & 0x3ff) << 21
        | (i >> 11 & 1) << 20
        | (i >> 12 & 0xff) << 12
        | rd << 7
        | 0x6f
}
fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x67)
}
fn beq(rs1: u32, rs2: u32, off: i32) -> u32 {
    let i = off as u32;
    (i >> 12 & 1) << 31
        | (i >> 5 & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | (i >> 1 & 0xf) << 8
        | (i >> 11 & 1) << 7
        | 0x63
}
fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 3, rd, 0x03)
}
fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    let i = imm as u32;
    (i >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | 3 << 12 | (i & 0x1f) << 7 | 0x23
}
const ECALL: u32 = 0x73;

/// Workloads: (name, program). Each loops `n` (x2) times and ends with ecall.
fn workloads() -> Vec<(&'static str, Vec<u32>)> {
    let alu = vec![
        addi(1, 0, 0),
        lui(2, 0x1000), // 16M iterations
        // loop:
        addi(1, 1, 1),
        add(3, 3, 1),
        add(4, 4, 3),
        addi(5, 4, 7),
        add(6, 5, 1),
        add(7, 7, 6),
        beq(1, 2, 8),
        jal(0, -28),
        ECALL,
    ];
    let mem = vec![
        addi(1, 0, 0),
        lui(2, 0x400),  // 4M iterations
        lui(10, 0x100), // x10 = 0x100000 (array)
        addi(11, 10, 0),
        // loop:
        ld(3, 11, 0),
        add(3, 3, 1),
        sd(3, 11, 0),
        ld(4, 11, 8),
        add(4, 4, 3),
        sd(4, 11, 8),
        addi(11, 11, 16),
        addi(1, 1, 1),
        // wrap the pointer every 4096 iterations: x11 -= 0x10000 when x1 % 4096 == 0 is not
        // expressible without more ops; instead keep a second counter.
        addi(12, 12, 1),
        beq(12, 13, 8), // x13 = 4096 set below
        jal(0, 12),
        addi(11, 10, 0),
        addi(12, 0, 0),
        beq(1, 2, 8),
        jal(0, -56),
        ECALL,
    ];
    let call = vec![
        addi(1, 0, 0),
        lui(2, 0x400), // 4M calls
        // loop (0x08):
        addi(1, 1, 1),
        jal(5, 16), // call f at 0x1c
        beq(1, 2, 8),
        jal(0, -12),
        ECALL,
        // f (0x1c):
        add(3, 3, 1),
        addi(4, 3, 1),
        jalr(0, 5, 0),
    ];
    // 2000 distinct blocks of 8 instructions, each run 3 times: translation cost dominates.
    let mut many = vec![addi(1, 0, 0), addi(2, 0, 3)];
    let top = many.len();
    for k in 0..2000 {
        for r in 3..10 {
            many.push(addi(r, r, k % 7 + r as i32));
        }
        many.push(jal(0, 4));
    }
    many.push(addi(1, 1, 1));
    many.push(beq(1, 2, 8));
    let back = -(((many.len() - top) * 4) as i32);
    many.push(jal(0, back));
    many.push(ECALL);
    // A bottom-tested loop (the block branches to its own start), as compilers emit: it walks
    // an array of 65535 ones ended by a zero (set up in `setup`), 256 times.
    let self_loop = vec![
        lui(10, 0x100), // 0x00 array
        addi(11, 0, 1),
        addi(12, 0, 0),
        addi(13, 0, 256),
        // outer (0x10):
        addi(14, 10, 0),
        // inner (0x14):
        addi(1, 1, 1),
        add(3, 3, 1),
        add(4, 4, 3),
        addi(5, 4, 7),
        add(6, 5, 1),
        addi(14, 14, 8),
        ld(9, 14, 0),
        beq(9, 11, -28),
        addi(12, 12, 1),
        beq(12, 13, 8),
        jal(0, -44),
        ECALL,
    ];
    vec![
        ("alu", alu),
        ("self_loop", self_loop),
        ("mem", mem),
        ("call", call),
        ("many", many),
    ]
}

fn setup(prog: &[u32]) -> Interp<BenchEnv> {
    let mut cpu = CpuState {
        pc: 0x1000,
        ..CpuState::default()
    };
    cpu.x[13] = 4096;
    let env = BenchEnv::new(prog);
    for i in 1..65536u64 {
        // SAFETY: inside the 4 MiB buffer.
        unsafe { *env.base.add((0x100000 + 8 * i) as usize) = 1 };
    }
    Interp::new(cpu, env)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    for (name, prog) in workloads() {
        let mut m = setup(&prog);
        let mut ie: InterpEngine<BenchEnv> = InterpEngine::new();
        let t = Instant::now();
        let r = loop {
            if let Err(e) = ie.run(&mut m, u64::MAX) {
                break e;
            }
        };
        let interp_s = t.elapsed().as_secs_f64();
        assert_eq!(r.cause, Cause::EcallFromU);
        let n = m.cpu.instret;
        let reference = m.cpu.x;
        println!(
            "{name}: {n} guest insns; interpreter {:.3} s ({:.2} ns/insn)",
            interp_s,
            interp_s * 1e9 / n as f64
        );
        let thresholds: &[u32] = if quick {
            &[0, 50]
        } else {
            &[0, 10, 50, 200, 1000]
        };
        for &opt in &[OptLevel::None, OptLevel::Speed] {
            for &threshold in thresholds {
                let mut m = setup(&prog);
                let cfg = JitConfig {
                    code_cache_size: 16 << 20,
                    jit_threshold: threshold,
                    opt_level: opt,
                    regalloc: RegAlloc::Backtracking,
                    verify: false,
                    background: false,
                    time_split: false,
                };
                let mut je = JitEngine::new(cfg).expect("jit");
                let t = Instant::now();
                let r = loop {
                    if let Err(e) = je.run(&mut m, u64::MAX) {
                        break e;
                    }
                };
                let s = t.elapsed().as_secs_f64();
                assert_eq!(r.cause, Cause::EcallFromU);
                assert_eq!(m.cpu.x, reference);
                assert_eq!(m.cpu.instret, n);
                let st = je.stats;
                println!(
                    "  jit {opt:?} threshold {threshold}: {s:.3} s ({:.3} ns/insn, {:.1}x); {} blocks, {:.1} us/block, {} code bytes, {} chained, {} entries, {} interp blocks",
                    s * 1e9 / n as f64,
                    interp_s / s,
                    st.blocks_translated,
                    st.compile_ns as f64 / 1e3 / st.blocks_translated.max(1) as f64,
                    st.code_bytes,
                    st.chained_exits,
                    st.jit_entries,
                    st.interp_blocks,
                );
            }
        }
    }
}
