//! The JIT's inline floating-point fast paths (`jit/fp.rs`) checked against the interpreter
//! (which always runs the reference helpers): random blocks of F/D arithmetic, fused
//! multiply-add, square root, min/max, compares and `fflags`/`frm`/`fcsr` accesses run in both
//! engines from the same state, over corner-case operands (NaNs including signaling ones, ±0,
//! ±inf, subnormals, values around the underflow and overflow thresholds, unboxed singles), all
//! rounding modes static and dynamic, with NX preset or not. f and x registers, `fflags`, `frm`,
//! pc, instret and the exception must agree bit for bit.

use crate::common;

use common::Rng;
use translator::emit::{AmoOp, CsrOp, Width};
use translator::interp::{Env, Interp, InterpEngine};
use translator::jit::{JitConfig, JitEngine, OptLevel, RegAlloc};
use translator::{Cause, CpuState, Exception};

/// Flat little-endian memory at address 0, code only.
struct Mem {
    data: Vec<u8>,
}

impl Env for Mem {
    fn load(&mut self, addr: u64, _: Width) -> Result<u64, Exception> {
        Err(Exception::new(Cause::LoadAccessFault, addr))
    }
    fn store(&mut self, addr: u64, _: u64, _: Width) -> Result<(), Exception> {
        Err(Exception::new(Cause::StoreAccessFault, addr))
    }
    fn amo(&mut self, _: AmoOp, addr: u64, _: u64, _: Width) -> Result<u64, Exception> {
        Err(Exception::new(Cause::StoreAccessFault, addr))
    }
    fn cmpxchg(&mut self, addr: u64, _: u64, _: u64, _: Width) -> Result<bool, Exception> {
        Err(Exception::new(Cause::StoreAccessFault, addr))
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        let a = usize::try_from(addr).unwrap_or(usize::MAX);
        match self.data.get(a..a.saturating_add(2)) {
            Some(b) if b.len() == 2 => Ok(u16::from_le_bytes([b[0], b[1]])),
            _ => Err(Exception::new(Cause::InstructionAccessFault, addr)),
        }
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
}

/// A binary64 (`double`) or binary32 pattern, chosen to hit the fast paths' boundaries.
fn value(rng: &mut Rng, double: bool) -> u64 {
    let (ebits, mbits) = if double { (11u32, 52u32) } else { (8, 23) };
    let emax = (1u64 << ebits) - 1;
    let sign = rng.below(2) << (ebits + mbits);
    let mant = rng.next() & ((1u64 << mbits) - 1);
    let small_mant = rng.below(4);
    let exp = match rng.below(12) {
        // Subnormals and zero, the lowest normal binades.
        0 => rng.below(4),
        // Near overflow.
        1 => emax - 1 - rng.below(3),
        // Infinity / NaN (quiet or signaling by the mantissa).
        2 => emax,
        // Half the bias and around it: products and quotients near the thresholds.
        3 => (emax >> 2) + rng.below(4),
        4 => 3 * (emax >> 2) - rng.below(4),
        // Ordinary values around 1.0.
        _ => (emax >> 1) - 8 + rng.below(16),
    };
    let m = if rng.below(4) == 0 { small_mant } else { mant };
    let bits = sign | exp << mbits | m;
    if double {
        bits
    } else if rng.below(16) == 0 {
        // Not properly NaN-boxed: reads as the canonical NaN.
        bits | (rng.next() << 32 & !(0xffff_ffffu64 << 32 & rng.next()))
    } else {
        bits | 0xffff_ffff_0000_0000
    }
}

const OP_FP: u32 = 0x53;

fn r_type(f7: u32, rs2: u32, rs1: u32, rm: u32, rd: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | OP_FP
}

/// One random instruction of the families with fast paths (and the FP CSRs).
fn insn(rng: &mut Rng) -> u32 {
    let fmt = rng.below(2) as u32;
    let f = |rng: &mut Rng| rng.below(6) as u32;
    let x = |rng: &mut Rng| 5 + rng.below(6) as u32;
    let rm = rng.pick(&[0u32, 0, 0, 0, 7, 7, 7, 1, 2, 3, 4]);
    match rng.below(16) {
        0..=3 => {
            let f7 = rng.pick(&[0b000_0000u32, 0b000_0100, 0b000_1000, 0b000_1100]) | fmt;
            r_type(f7, f(rng), f(rng), rm, f(rng))
        }
        4 => r_type(0b010_1100 | fmt, 0, f(rng), rm, f(rng)),
        5..=8 => {
            let opc = rng.pick(&[0x43u32, 0x47, 0x4b, 0x4f]);
            f(rng) << 27 | fmt << 25 | f(rng) << 20 | f(rng) << 15 | rm << 12 | f(rng) << 7 | opc
        }
        9 | 10 => r_type(
            0b001_0100 | fmt,
            f(rng),
            f(rng),
            rng.below(2) as u32,
            f(rng),
        ),
        11 | 12 => r_type(
            0b101_0000 | fmt,
            f(rng),
            f(rng),
            rng.below(3) as u32,
            x(rng),
        ),
        _ => {
            // csrrw/csrrs/csrrc (rs1 = x5..x10 or x0) and the immediate forms on 0x001-0x003.
            let csr = 1 + rng.below(3) as u32;
            let f3 = rng.pick(&[1u32, 2, 3, 5, 6, 7]);
            let src = if rng.below(3) == 0 {
                0
            } else if f3 >= 5 {
                rng.below(32) as u32
            } else {
                x(rng)
            };
            let rd = if rng.below(4) == 0 { 0 } else { x(rng) };
            csr << 20 | src << 15 | f3 << 12 | rd << 7 | 0x73
        }
    }
}

const ECALL: u32 = 0x0000_0073;

fn machine(code: &[u32], init: &CpuState) -> Interp<Mem> {
    let mut data: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    data.resize(4096, 0);
    Interp::new(init.clone(), Mem { data })
}

const LIMIT: u64 = 1000;

/// A JIT that translates every block at once, optimised, without lockstep verification.
fn engine() -> JitEngine<Mem> {
    JitEngine::new(JitConfig {
        code_cache_size: 1 << 16,
        jit_threshold: 0,
        opt_level: OptLevel::Speed,
        regalloc: RegAlloc::Backtracking,
        verify: false,
        background: false,
        time_split: false,
    })
    .expect("jit")
}

#[test]
fn fp_fast_paths_match_interpreter() {
    let mut rng = Rng(0x5eed_f00d_1234_5678);
    let cases = 3000;
    for case in 0..cases {
        let n = 1 + rng.below(24) as usize;
        let mut code: Vec<u32> = (0..n).map(|_| insn(&mut rng)).collect();
        code.push(ECALL);
        let mut init = CpuState::default();
        for (i, f) in init.f.iter_mut().enumerate() {
            *f = value(&mut rng, i % 2 == 1);
        }
        // Some registers of the other precision's values, so both see both kinds.
        if rng.below(2) == 0 {
            init.f.swap(0, 1);
        }
        for r in 5..11 {
            init.x[r] = rng.below(256);
        }
        init.frm = if rng.below(2) == 0 { 0 } else { rng.below(8) };
        init.fflags = rng.below(32);
        if rng.below(2) == 0 {
            init.fflags |= 1;
        }
        let what = format!("case {case}: code {code:08x?} init {init:?}");

        let mut a = machine(&code, &init);
        let mut ie: InterpEngine<Mem> = InterpEngine::new();
        let ea = loop {
            if let Err(e) = ie.run(&mut a, 7) {
                break Some(e);
            }
            if a.cpu.instret > LIMIT {
                break None;
            }
        };
        let opt = if case % 2 == 0 {
            OptLevel::Speed
        } else {
            OptLevel::None
        };
        let mut j: JitEngine<Mem> = JitEngine::new(JitConfig {
            code_cache_size: 1 << 20,
            jit_threshold: 0,
            opt_level: opt,
            regalloc: RegAlloc::Backtracking,
            verify: true,
            background: false,
            time_split: false,
        })
        .expect("jit");
        let mut b = machine(&code, &init);
        let eb = loop {
            if let Err(e) = j.run(&mut b, u64::MAX) {
                break Some(e);
            }
            if b.cpu.instret > LIMIT {
                break None;
            }
        };
        assert!(j.stats.blocks_translated > 0, "{what}: nothing translated");
        assert_eq!(ea, eb, "{what}: exception");
        assert_eq!(a.cpu.f, b.cpu.f, "{what}: f registers");
        assert_eq!(a.cpu.x, b.cpu.x, "{what}: x registers");
        assert_eq!(a.cpu.fflags, b.cpu.fflags, "{what}: fflags");
        assert_eq!(a.cpu.frm, b.cpu.frm, "{what}: frm");
        assert_eq!(a.cpu.pc, b.cpu.pc, "{what}: pc");
        assert_eq!(a.cpu.instret, b.cpu.instret, "{what}: instret");
    }
}

/// The boundary cases one by one, each as its own block with NX preset and `frm` = RNE (the
/// fast path's preconditions), so a wrong threshold shows directly.
#[test]
fn fp_fast_path_boundaries() {
    let d = |x: f64| x.to_bits();
    let s = |x: f32| u64::from(x.to_bits()) | 0xffff_ffff_0000_0000;
    let min_d = f64::MIN_POSITIVE;
    let min_s = f32::MIN_POSITIVE;
    let doubles = [
        d(0.0),
        d(-0.0),
        d(1.0),
        d(-1.5),
        d(min_d),
        d(2.0 * min_d),
        d(min_d / 2.0),
        d(f64::MAX),
        d(f64::MAX / 2.0),
        d(f64::INFINITY),
        d(f64::NEG_INFINITY),
        0x7ff8_0000_0000_0000,
        0x7ff0_0000_0000_0001,
        d(3.0f64.sqrt()),
        d(1e-300),
        d(1e300),
    ];
    let singles = [
        s(0.0),
        s(-0.0),
        s(1.0),
        s(-1.5),
        s(min_s),
        s(2.0 * min_s),
        s(min_s / 2.0),
        s(f32::MAX),
        s(f32::MAX / 2.0),
        s(f32::INFINITY),
        s(f32::NEG_INFINITY),
        0xffff_ffff_7fc0_0000,
        0xffff_ffff_7f80_0001,
        s(3.0f32.sqrt()),
        0x0000_0000_3f80_0000,
        s(1e-30),
    ];
    let mut checked = 0;
    for double in [true, false] {
        let vals = if double { &doubles } else { &singles };
        let fmt = u32::from(double);
        let mut ops: Vec<u32> = Vec::new();
        for f7 in [0b000_0000u32, 0b000_0100, 0b000_1000, 0b000_1100] {
            ops.push(r_type(f7 | fmt, 2, 1, 0, 3));
            ops.push(r_type(f7 | fmt, 2, 1, 7, 3));
        }
        ops.push(r_type(0b010_1100 | fmt, 0, 1, 0, 3));
        ops.push(r_type(0b010_1100 | fmt, 0, 1, 7, 3));
        for opc in [0x43u32, 0x47, 0x4b, 0x4f] {
            for rm in [0u32, 7] {
                ops.push(4 << 27 | fmt << 25 | 2 << 20 | 1 << 15 | rm << 12 | 3 << 7 | opc);
            }
        }
        for rm in 0..2 {
            ops.push(r_type(0b001_0100 | fmt, 2, 1, rm, 3));
        }
        for rm in 0..3 {
            ops.push(r_type(0b101_0000 | fmt, 2, 1, rm, 5));
        }
        for &op in &ops {
            let code = [op, ECALL];
            let fma = op & 0x7f != OP_FP;
            let cs: &[u64] = if fma {
                &[vals[0], vals[1], vals[2], vals[3], vals[4], vals[14]]
            } else {
                &[vals[2]]
            };
            // One engine per instruction: the translation of address 0 is reused.
            let mut j = engine();
            for &a in vals {
                for &b in vals {
                    for &c in cs {
                        for fflags in [1u64, 0x1f, 0] {
                            let mut init = CpuState::default();
                            init.f[1] = a;
                            init.f[2] = b;
                            init.f[4] = c;
                            init.fflags = fflags;
                            let mut m = machine(&code, &init);
                            let mut ie: InterpEngine<Mem> = InterpEngine::new();
                            let ea = ie.run(&mut m, 10).err();
                            let mut jm = machine(&code, &init);
                            let eb = j.run(&mut jm, 10).err();
                            let what =
                                format!("op {op:08x} a {a:#x} b {b:#x} c {c:#x} fl {fflags}");
                            assert_eq!(ea, eb, "{what}: exception");
                            assert_eq!(m.cpu.f, jm.cpu.f, "{what}: f registers");
                            assert_eq!(m.cpu.x, jm.cpu.x, "{what}: x registers");
                            assert_eq!(m.cpu.fflags, jm.cpu.fflags, "{what}: fflags");
                            checked += 1;
                        }
                    }
                }
            }
            assert!(
                j.stats.blocks_translated > 0,
                "op {op:08x}: nothing translated"
            );
        }
    }
    assert!(checked > 10_000);
}

/// The fast paths of one guest block share one test of NX accrued and of `frm` = RNE
/// (`fflags`/`frm` only change through CSR writes): after an FP CSR write the operations
/// must test again. (Such a write also ends its guest block, which renews the tests too.)
/// Here NX is cleared, then an inexact product must accrue it again; and `frm` is set to RTZ,
/// then a dynamic-rounding sum must round toward zero.
#[test]
fn fp_csr_writes_renew_the_shared_fast_path_tests() {
    let fadd_d = |rd: u32, rs1: u32, rs2: u32, rm: u32| r_type(0b000_0001, rs2, rs1, rm, rd);
    let fmul_d = |rd: u32, rs1: u32, rs2: u32, rm: u32| r_type(0b000_1001, rs2, rs1, rm, rd);
    // csrrwi x0, csr, imm
    let csrwi = |csr: u32, imm: u32| csr << 20 | imm << 15 | 5 << 12 | 0x73;
    let third = 1.0f64 / 3.0;
    // 1 + 0.75 ulp: RNE rounds up to 1 + 2^-52, RTZ down to 1.
    let (one, three_quarters_ulp) = (1.0f64, 3.0 * 2.0f64.powi(-54));
    for (name, code, inputs, f4) in [
        (
            "fflags cleared",
            vec![
                fadd_d(3, 1, 2, 0),
                csrwi(0x001, 0),
                fmul_d(4, 1, 1, 0),
                ECALL,
            ],
            (third, 2.0f64.powi(-60)),
            third * third,
        ),
        (
            "frm set to RTZ",
            vec![
                fadd_d(3, 1, 2, 7),
                csrwi(0x002, 1),
                fadd_d(4, 1, 2, 7),
                ECALL,
            ],
            (one, three_quarters_ulp),
            one,
        ),
    ] {
        let mut init = CpuState::default();
        init.f[1] = inputs.0.to_bits();
        init.f[2] = inputs.1.to_bits();
        init.fflags = 1;
        let mut a = machine(&code, &init);
        let mut ie: InterpEngine<Mem> = InterpEngine::new();
        let ea = ie.run(&mut a, 100).err();
        let mut j = engine();
        let mut b = machine(&code, &init);
        let eb = j.run(&mut b, 100).err();
        assert!(j.stats.blocks_translated > 0, "{name}: nothing translated");
        assert_eq!(ea.map(|e| e.cause), Some(Cause::EcallFromU), "{name}");
        assert_eq!(ea, eb, "{name}: exception");
        // Both operations after the write are inexact: NX accrued again.
        assert_eq!(a.cpu.fflags, 1, "{name}: interpreter fflags");
        assert_eq!(b.cpu.fflags, 1, "{name}: fflags");
        assert_eq!(a.cpu.f[4], f4.to_bits(), "{name}: interpreter f4");
        assert_eq!(b.cpu.f, a.cpu.f, "{name}: f registers");
        assert_eq!(b.cpu.frm, a.cpu.frm, "{name}: frm");
    }
}

/// An operation whose fast path never applies (products that are zero) leaves the translated
/// loop for the interpreter each time, until the dispatcher has counted 128 such exits: the
/// loop is then translated again with the helper call inline, and leaves no more. Translated
/// with NX not accrued (when arithmetic would miss every time), it calls the helper at once.
#[test]
fn fp_operations_that_keep_leaving_get_helper_calls() {
    let fmul_d = |rd: u32, rs1: u32, rs2: u32| r_type(0b000_1001, rs2, rs1, 7, rd);
    let addi =
        |rd: u32, rs1: u32, imm: i32| ((imm as u32) & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x13;
    // bne x5, x0, -8
    let bne_back = 0xfe02_9ce3;
    let code = [fmul_d(3, 2, 1), addi(5, 5, -1), bne_back, ECALL];
    for (nx, exits, again) in [(1, 128, 1), (0, 0, 0)] {
        let mut init = CpuState::default();
        init.f[1] = 3.0f64.to_bits();
        init.f[2] = (-0.0f64).to_bits();
        init.f[3] = 1.0f64.to_bits();
        init.x[5] = 1000;
        init.fflags = nx;
        let mut a = machine(&code, &init);
        let mut ie: InterpEngine<Mem> = InterpEngine::new();
        let ea = ie.run(&mut a, u64::MAX).err();
        assert_eq!(ea.map(|e| e.cause), Some(Cause::EcallFromU));
        assert_eq!(a.cpu.f[3], (-0.0f64).to_bits());
        assert_eq!(a.cpu.fflags, nx);
        let mut j = engine();
        let mut b = machine(&code, &init);
        let eb = j.run(&mut b, u64::MAX).err();
        assert_eq!(ea, eb);
        assert_eq!(b.cpu.f, a.cpu.f);
        assert_eq!(b.cpu.x, a.cpu.x);
        assert_eq!(b.cpu.fflags, nx);
        assert_eq!(b.cpu.instret, a.cpu.instret);
        let s = &j.stats;
        assert_eq!(
            (s.fp_exits, s.retranslations),
            (exits, again),
            "NX {nx}: {s:?}"
        );
    }
}
