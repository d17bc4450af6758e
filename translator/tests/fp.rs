//! F and D extension tests: encoded instructions executed by the interpreter, with expected bit
//! patterns and fflags worked out by hand from the spec (RISC-V Unprivileged ISA 20191213,
//! chapters 11–12, and IEEE 754-2008).

use translator::decode::Table;
use translator::emit::{AmoOp, CsrOp, Width};
use translator::interp::{Env, Interp, InterpEngine};
use translator::{Cause, CpuState, Exception};

const NV: u64 = 0x10;
const DZ: u64 = 0x08;
const OF: u64 = 0x04;
const UF: u64 = 0x02;
const NX: u64 = 0x01;

const CANON_S: u64 = 0xffff_ffff_7fc0_0000;
const CANON_D: u64 = 0x7ff8_0000_0000_0000;

/// Flat little-endian memory at address 0.
struct Mem {
    data: Vec<u8>,
}

impl Mem {
    fn range(&self, addr: u64, w: Width) -> Option<std::ops::Range<usize>> {
        let a = usize::try_from(addr).ok()?;
        let end = a.checked_add(w.bytes() as usize)?;
        (end <= self.data.len()).then_some(a..end)
    }
}

impl Env for Mem {
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        let r = self
            .range(addr, w)
            .ok_or(Exception::new(Cause::LoadAccessFault, addr))?;
        let mut b = [0u8; 8];
        b[..r.len()].copy_from_slice(&self.data[r]);
        Ok(u64::from_le_bytes(b))
    }
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        let r = self
            .range(addr, w)
            .ok_or(Exception::new(Cause::StoreAccessFault, addr))?;
        let n = r.len();
        self.data[r].copy_from_slice(&val.to_le_bytes()[..n]);
        Ok(())
    }
    fn amo(&mut self, _: AmoOp, addr: u64, _: u64, _: Width) -> Result<u64, Exception> {
        Err(Exception::new(Cause::StoreAccessFault, addr))
    }
    fn cmpxchg(&mut self, addr: u64, _: u64, _: u64, _: Width) -> Result<bool, Exception> {
        Err(Exception::new(Cause::StoreAccessFault, addr))
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        let r = self
            .range(addr, Width::H)
            .ok_or(Exception::new(Cause::InstructionAccessFault, addr))?;
        Ok(u16::from_le_bytes([
            self.data[r.start],
            self.data[r.start + 1],
        ]))
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

/// A hart with 64 KiB of memory, executing single instruction words.
struct Hart {
    i: Interp<Mem>,
    t: Table<Interp<Mem>>,
}

impl Hart {
    fn new() -> Self {
        Hart {
            i: Interp::new(
                CpuState::default(),
                Mem {
                    data: vec![0; 0x10000],
                },
            ),
            t: translator::riscv::table(),
        }
    }
    fn exec(&mut self, w: u32) -> Result<(), Exception> {
        let d = self
            .t
            .decode(w as u16, || Ok((w >> 16) as u16))
            .expect("decode");
        assert_ne!(d.name, "illegal", "{w:#010x} must decode");
        (d.sem)(&mut self.i, &d.insn)
    }
    fn f(&self, r: usize) -> u64 {
        self.i.cpu.f[r]
    }
    fn x(&self, r: usize) -> u64 {
        self.i.cpu.x[r]
    }
    fn flags(&mut self) -> u64 {
        std::mem::take(&mut self.i.cpu.fflags)
    }
}

// ---- encoders (register numbers: rd = 3, rs1 = 1, rs2 = 2, rs3 = 4 unless stated) ----

const OP_FP: u32 = 0x53;

fn r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}

/// Arithmetic `funct5` for precision `d` (fmt bit 25).
fn fp(f5: u32, d: bool, rs2: u32, rm: u32) -> u32 {
    r(f5 << 2 | u32::from(d), rs2, 1, rm, 3, OP_FP)
}

fn fadd(d: bool, rm: u32) -> u32 {
    fp(0b00000, d, 2, rm)
}
fn fsub(d: bool, rm: u32) -> u32 {
    fp(0b00001, d, 2, rm)
}
fn fmul(d: bool, rm: u32) -> u32 {
    fp(0b00010, d, 2, rm)
}
fn fdiv(d: bool, rm: u32) -> u32 {
    fp(0b00011, d, 2, rm)
}
fn fsqrt(d: bool, rm: u32) -> u32 {
    fp(0b01011, d, 0, rm)
}
fn fsgnj(d: bool, k: u32) -> u32 {
    fp(0b00100, d, 2, k)
}
fn fminmax(d: bool, max: bool) -> u32 {
    fp(0b00101, d, 2, u32::from(max))
}
/// feq = 2, flt = 1, fle = 0
fn fcmp(d: bool, k: u32) -> u32 {
    fp(0b10100, d, 2, k)
}
fn fclass(d: bool) -> u32 {
    fp(0b11100, d, 0, 1)
}
/// fcvt.{w,wu,l,lu}.fmt (k = 0..3), rd = x3, rs1 = f1
fn fcvt_to_int(d: bool, k: u32, rm: u32) -> u32 {
    fp(0b11000, d, k, rm)
}
/// fcvt.fmt.{w,wu,l,lu} (k = 0..3), rd = f3, rs1 = x1
fn fcvt_from_int(d: bool, k: u32, rm: u32) -> u32 {
    fp(0b11010, d, k, rm)
}
/// fmadd = 0x43, fmsub = 0x47, fnmsub = 0x4b, fnmadd = 0x4f
fn fma(op: u32, d: bool, rm: u32) -> u32 {
    4 << 27 | u32::from(d) << 25 | 2 << 20 | 1 << 15 | rm << 12 | 3 << 7 | op
}

fn bs(x: f32) -> u64 {
    0xffff_ffff_0000_0000 | u64::from(x.to_bits())
}
fn bd(x: f64) -> u64 {
    x.to_bits()
}

/// Runs `insn` on f1 = a, f2 = b, f4 = c with fflags cleared; returns (f3, fflags).
fn run3(insn: u32, a: u64, b: u64, c: u64) -> (u64, u64) {
    let mut h = Hart::new();
    h.i.cpu.f[1] = a;
    h.i.cpu.f[2] = b;
    h.i.cpu.f[4] = c;
    h.exec(insn).expect("no exception");
    (h.f(3), h.flags())
}

fn run2(insn: u32, a: u64, b: u64) -> (u64, u64) {
    run3(insn, a, b, 0)
}

/// Runs an instruction writing x3 from f1 (and f2).
fn runx(insn: u32, a: u64, b: u64) -> (u64, u64) {
    let mut h = Hart::new();
    h.i.cpu.f[1] = a;
    h.i.cpu.f[2] = b;
    h.exec(insn).expect("no exception");
    (h.x(3), h.flags())
}

/// Runs an instruction writing f3 from x1.
fn run_from_x(insn: u32, x: u64) -> (u64, u64) {
    let mut h = Hart::new();
    h.i.cpu.x[1] = x;
    h.exec(insn).expect("no exception");
    (h.f(3), h.flags())
}

const RNE: u32 = 0;
const RTZ: u32 = 1;
const RDN: u32 = 2;
const RUP: u32 = 3;
const RMM: u32 = 4;
const DYN: u32 = 7;

#[test]
fn rounding_modes_on_a_tie() {
    // 1 + 2^-53 is exactly halfway between 1 and 1 + 2^-52 (whose last bit is odd).
    let one = bd(1.0);
    let half_ulp = bd(2f64.powi(-53));
    let up = 0x3ff0_0000_0000_0001;
    for (rm, pos, neg) in [
        (RNE, one, one),
        (RTZ, one, one),
        (RDN, one, up),
        (RUP, up, one),
        (RMM, up, up),
    ] {
        assert_eq!(run2(fadd(true, rm), one, half_ulp), (pos, NX), "rm {rm}");
        let (v, f) = run2(fadd(true, rm), one | 1 << 63, half_ulp | 1 << 63);
        assert_eq!((v, f), (neg | 1 << 63, NX), "rm {rm} negative");
    }
    // Single: 1 + 2^-24 is the tie.
    let (one, tie) = (bs(1.0), bs(2f32.powi(-24)));
    let up = bs(f32::from_bits(0x3f80_0001));
    for (rm, pos) in [(RNE, one), (RTZ, one), (RDN, one), (RUP, up), (RMM, up)] {
        assert_eq!(run2(fadd(false, rm), one, tie), (pos, NX), "rm {rm}");
    }
}

#[test]
fn rounding_modes_to_integer() {
    for (rm, p25, n25, p05) in [
        (RNE, 2, -2, 0),
        (RTZ, 2, -2, 0),
        (RDN, 2, -3, 0),
        (RUP, 3, -2, 1),
        (RMM, 3, -3, 1),
    ] {
        for d in [false, true] {
            let enc = |x: f64| if d { bd(x) } else { bs(x as f32) };
            assert_eq!(runx(fcvt_to_int(d, 0, rm), enc(2.5), 0), (p25 as u64, NX));
            assert_eq!(
                runx(fcvt_to_int(d, 2, rm), enc(-2.5), 0),
                (n25 as i64 as u64, NX)
            );
            assert_eq!(runx(fcvt_to_int(d, 1, rm), enc(0.5), 0), (p05, NX));
        }
    }
}

#[test]
fn dynamic_rounding_mode() {
    let mut h = Hart::new();
    h.i.cpu.f[1] = bd(1.0);
    h.i.cpu.f[2] = bd(2f64.powi(-53));
    h.i.cpu.frm = 3; // RUP
    h.exec(fadd(true, DYN)).unwrap();
    assert_eq!(h.f(3), 0x3ff0_0000_0000_0001);
    h.i.cpu.frm = 0;
    h.exec(fadd(true, DYN)).unwrap();
    assert_eq!(h.f(3), bd(1.0));

    // frm = 5, 6, 7 with rm = DYN: illegal instruction (tval 0 from a helper), nothing written.
    for frm in [5, 6, 7] {
        for insn in [
            fadd(true, DYN),
            fsqrt(false, DYN),
            fma(0x43, true, DYN),
            fcvt_to_int(true, 0, DYN),
            fcvt_from_int(false, 2, DYN),
            // fcvt.d.s is exact but still checks the rounding mode.
            r(0b0100001, 0, 1, DYN, 3, OP_FP),
        ] {
            let mut h = Hart::new();
            h.i.cpu.frm = frm;
            h.i.cpu.f[3] = 0x1234;
            h.i.cpu.x[3] = 0x5678;
            h.i.cpu.f[1] = bd(1.0);
            let e = h.exec(insn).unwrap_err();
            assert_eq!(e, Exception::new(Cause::IllegalInstruction, 0));
            assert_eq!((h.f(3), h.x(3), h.i.cpu.fflags), (0x1234, 0x5678, 0));
        }
    }
}

#[test]
fn static_reserved_rounding_mode_is_illegal() {
    for rm in [5, 6] {
        for insn in [
            fadd(true, rm),
            fdiv(false, rm),
            fsqrt(true, rm),
            fma(0x4f, false, rm),
            fcvt_to_int(false, 3, rm),
            fcvt_from_int(true, 1, rm),
            r(0b0100000, 1, 1, rm, 3, OP_FP), // fcvt.s.d
            r(0b0100001, 0, 1, rm, 3, OP_FP), // fcvt.d.s
        ] {
            let mut h = Hart::new();
            let e = h.exec(insn).unwrap_err();
            assert_eq!(
                e,
                Exception::new(Cause::IllegalInstruction, u64::from(insn))
            );
        }
    }
}

#[test]
fn fixed_funct3_fields_decode_strictly() {
    let t: Table<Interp<Mem>> = translator::riscv::table();
    let name = |w: u32| t.lookup(w).map_or("illegal", |e| e.name);
    // fsgnj funct3 3 is reserved; fmin/fmax 2; feq/flt/fle 3; fclass/fmv other than 000/001.
    assert_eq!(name(fsgnj(true, 3)), "illegal");
    assert_eq!(name(fminmax(false, false) | 2 << 12), "illegal");
    assert_eq!(name(fcmp(true, 3)), "illegal");
    assert_eq!(name(fclass(true) | 2 << 12), "illegal");
    assert_eq!(name(r(0b1110000, 0, 1, 1, 3, OP_FP)), "fclass.s");
    assert_eq!(name(r(0b1110000, 0, 1, 0, 3, OP_FP)), "fmv.x.w");
    assert_eq!(name(r(0b1111000, 0, 1, 1, 3, OP_FP)), "illegal");
    assert_eq!(name(r(0b1111001, 0, 1, 0, 3, OP_FP)), "fmv.d.x");
    assert_eq!(name(r(0b1110001, 0, 1, 0, 3, OP_FP)), "fmv.x.d");
    // fsqrt needs rs2 = 0; fcvt.s.d needs rs2 = 1, fcvt.d.s rs2 = 0.
    assert_eq!(name(fsqrt(true, 0) | 1 << 20), "illegal");
    assert_eq!(name(r(0b0100000, 1, 1, 0, 3, OP_FP)), "fcvt.s.d");
    assert_eq!(name(r(0b0100000, 0, 1, 0, 3, OP_FP)), "illegal");
    assert_eq!(name(r(0b0100001, 0, 1, 4, 3, OP_FP)), "fcvt.d.s");
    // fmt 10 (half) / 11 (quad) are not implemented.
    assert_eq!(name(fma(0x43, false, 0) | 2 << 25), "illegal");
    assert_eq!(name(fma(0x43, false, 0) | 3 << 25), "illegal");
    assert_eq!(name(fma(0x43, true, 0)), "fmadd.d");
    assert_eq!(name(fma(0x47, false, 0)), "fmsub.s");
    assert_eq!(name(fma(0x4b, true, 0)), "fnmsub.d");
    assert_eq!(name(fma(0x4f, false, 0)), "fnmadd.s");
    assert_eq!(name(fcvt_to_int(false, 4, 0)), "illegal");
    assert_eq!(name(fcvt_from_int(true, 3, 0)), "fcvt.d.lu");
    // Every F/D line registered once with its spec name.
    let names: Vec<_> = t.entries().map(|e| e.name).collect();
    for n in [
        "flw",
        "fsw",
        "fld",
        "fsd",
        "fadd.s",
        "fsub.d",
        "fmul.s",
        "fdiv.d",
        "fsqrt.s",
        "fsgnj.d",
        "fsgnjn.s",
        "fsgnjx.d",
        "fmin.s",
        "fmax.d",
        "fcvt.w.s",
        "fcvt.wu.d",
        "fcvt.l.s",
        "fcvt.lu.d",
        "fcvt.s.w",
        "fcvt.d.wu",
        "fcvt.s.l",
        "fcvt.d.lu",
        "feq.s",
        "flt.d",
        "fle.s",
        "fclass.d",
        "fmv.x.w",
        "fmv.w.x",
        "fcvt.s.d",
        "fcvt.d.s",
    ] {
        assert_eq!(names.iter().filter(|&&x| x == n).count(), 1, "{n}");
    }
}

#[test]
fn nan_boxing() {
    let unboxed_one = u64::from(1f32.to_bits()); // upper bits zero: not a valid single
    let partly = 0xffff_fffe_3f80_0000; // upper bits not all ones
    for bad in [unboxed_one, partly] {
        // Arithmetic reads it as the canonical NaN (quiet: no NV).
        assert_eq!(run2(fadd(false, RNE), bad, bs(1.0)), (CANON_S, 0));
        assert_eq!(run2(fmul(false, RNE), bs(2.0), bad), (CANON_S, 0));
        assert_eq!(
            run3(fma(0x43, false, RNE), bs(1.0), bs(1.0), bad),
            (CANON_S, 0)
        );
        // Sign injection too: the magnitude of the canonical NaN with b's sign.
        assert_eq!(
            run2(fsgnj(false, 0), bad, bs(-1.0)),
            (0xffff_ffff_ffc0_0000, 0)
        );
        assert_eq!(run2(fsgnj(false, 0), bs(-2.0), bad), (bs(2.0), 0));
        // fclass sees a quiet NaN.
        assert_eq!(runx(fclass(false), bad, 0), (1 << 9, 0));
        // Comparisons see a NaN: feq quiet, flt signaling.
        assert_eq!(runx(fcmp(false, 2), bad, bad), (0, 0));
        assert_eq!(runx(fcmp(false, 1), bad, bs(1.0)), (0, NV));
        // fmin returns the other operand.
        assert_eq!(run2(fminmax(false, false), bad, bs(3.0)), (bs(3.0), 0));
        // fcvt.d.s of it is the canonical double NaN.
        assert_eq!(
            run2(r(0b0100001, 0, 1, RNE, 3, OP_FP), bad, 0),
            (CANON_D, 0)
        );
    }
    // fmv.x.w takes the low 32 bits sign-extended, with no unboxing check.
    assert_eq!(
        runx(r(0b1110000, 0, 1, 0, 3, OP_FP), 0x0000_0000_bf80_0000, 0),
        (0xffff_ffff_bf80_0000, 0)
    );
    // fmv.w.x boxes; fmv.d.x / fmv.x.d are raw.
    assert_eq!(
        run_from_x(r(0b1111000, 0, 1, 0, 3, OP_FP), 0x1234_5678_7f80_0001),
        (0xffff_ffff_7f80_0001, 0)
    );
    assert_eq!(
        run_from_x(r(0b1111001, 0, 1, 0, 3, OP_FP), 0x7ff0_0000_0000_0001),
        (0x7ff0_0000_0000_0001, 0)
    );
    // Double ops on a boxed single see a NaN (the box pattern is a NaN double).
    assert_eq!(run2(fadd(true, RNE), bs(1.0), bd(1.0)), (CANON_D, 0));
    // Single results are boxed.
    assert_eq!(run2(fadd(false, RNE), bs(1.0), bs(2.0)), (bs(3.0), 0));
}

#[test]
fn loads_and_stores() {
    let mut h = Hart::new();
    h.i.env.data[0x100..0x108].copy_from_slice(&0x7ff4_0000_0000_0001u64.to_le_bytes());
    h.i.env.data[0x110..0x114].copy_from_slice(&0x7f80_0001u32.to_le_bytes());
    h.i.cpu.x[1] = 0x100;
    // fld f3, 0(x1): raw bits (a signaling NaN stays as it is).
    h.exec(0x0000_b187).unwrap();
    assert_eq!(h.f(3), 0x7ff4_0000_0000_0001);
    // flw f3, 16(x1): NaN-boxed, not canonicalized.
    h.exec(0x0100_a187).unwrap();
    assert_eq!(h.f(3), 0xffff_ffff_7f80_0001);
    // fsw f2, 32(x1) stores the low 32 bits whatever the boxing.
    h.i.cpu.f[2] = 0x0000_0000_1234_5678;
    h.exec(0x0220_a027).unwrap();
    assert_eq!(
        &h.i.env.data[0x120..0x128],
        &[0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]
    );
    // fsd f2, 40(x1).
    h.i.cpu.f[2] = 0xfedc_ba98_7654_3210;
    h.exec(0x0220_b427).unwrap();
    assert_eq!(
        u64::from_le_bytes(h.i.env.data[0x128..0x130].try_into().unwrap()),
        0xfedc_ba98_7654_3210
    );
    assert_eq!(h.i.cpu.fflags, 0);
    // A faulting load leaves the register alone.
    h.i.cpu.x[1] = 0xffff_0000;
    let e = h.exec(0x0000_b187).unwrap_err();
    assert_eq!(e.cause, Cause::LoadAccessFault);
    assert_eq!(h.f(3), 0xffff_ffff_7f80_0001);
}

#[test]
fn end_to_end_through_the_engine() {
    // fld f1,0(x1); fld f2,8(x1); fmadd.d f3,f1,f2,f1 (rne); fsqrt.d f4,f3; fsd f4,16(x1); ecall
    let prog: [u32; 6] = [
        0x0000_b087,
        0x0080_b107,
        0x0a20_81c3,
        0x5a01_8253,
        0x0040_b827,
        0x0000_0073,
    ];
    let mut mem = Mem {
        data: vec![0; 0x10000],
    };
    for (n, w) in prog.iter().enumerate() {
        mem.data[0x1000 + 4 * n..0x1004 + 4 * n].copy_from_slice(&w.to_le_bytes());
    }
    mem.data[0x200..0x208].copy_from_slice(&3f64.to_bits().to_le_bytes());
    mem.data[0x208..0x210].copy_from_slice(&5f64.to_bits().to_le_bytes());
    let mut cpu = CpuState {
        pc: 0x1000,
        frm: 1, // the static rm fields override it
        ..CpuState::default()
    };
    cpu.x[1] = 0x200;
    let mut i = Interp::new(cpu, mem);
    let mut eng = InterpEngine::new();
    let e = eng.run(&mut i, 1000).unwrap_err();
    assert_eq!(e.cause, Cause::EcallFromU);
    // 3*5+3 = 18, sqrt(18) rounded to nearest.
    let got = u64::from_le_bytes(i.env.data[0x210..0x218].try_into().unwrap());
    assert_eq!(got, 18f64.sqrt().to_bits());
    assert_eq!(i.cpu.fflags, NX);
}

#[test]
fn canonical_nan_and_invalid() {
    let qnan_payload = 0x7ff8_0000_dead_beef;
    let snan = 0x7ff0_0000_0000_0001;
    let inf = bd(f64::INFINITY);
    // A quiet NaN input gives the canonical NaN, no flags.
    assert_eq!(run2(fadd(true, RNE), qnan_payload, bd(1.0)), (CANON_D, 0));
    assert_eq!(run2(fmul(true, RNE), bd(1.0), qnan_payload), (CANON_D, 0));
    // Signaling inputs raise NV.
    for insn in [
        fadd(true, RNE),
        fsub(true, RTZ),
        fmul(true, RNE),
        fdiv(true, RUP),
    ] {
        assert_eq!(run2(insn, snan, bd(1.0)), (CANON_D, NV));
        assert_eq!(run2(insn, bd(1.0), snan), (CANON_D, NV));
    }
    assert_eq!(run2(fsqrt(true, RNE), snan, 0), (CANON_D, NV));
    assert_eq!(
        run2(fsqrt(false, RNE), bs(f32::from_bits(0x7f80_0001)), 0),
        (CANON_S, NV)
    );
    assert_eq!(
        run2(fadd(false, RNE), bs(f32::from_bits(0xffa0_0000)), bs(1.0)),
        (CANON_S, NV)
    );
    // Invalid operations.
    assert_eq!(run2(fsub(true, RNE), inf, inf), (CANON_D, NV));
    assert_eq!(run2(fadd(true, RNE), inf, inf | 1 << 63), (CANON_D, NV));
    assert_eq!(run2(fmul(true, RNE), inf, 0), (CANON_D, NV));
    assert_eq!(run2(fdiv(true, RNE), 0, 0), (CANON_D, NV));
    assert_eq!(run2(fdiv(false, RNE), bs(0.0), bs(-0.0)), (CANON_S, NV));
    assert_eq!(run2(fdiv(true, RNE), inf, inf), (CANON_D, NV));
    assert_eq!(run2(fsqrt(true, RNE), bd(-1.0), 0), (CANON_D, NV));
    assert_eq!(run2(fsqrt(false, RNE), bs(-1.0), 0), (CANON_S, NV));
    assert_eq!(run2(fsqrt(true, RNE), bd(-f64::INFINITY), 0), (CANON_D, NV));
    // sqrt(-0) = -0, sqrt(+inf) = +inf, no flags.
    assert_eq!(run2(fsqrt(true, RNE), bd(-0.0), 0), (bd(-0.0), 0));
    assert_eq!(run2(fsqrt(true, RDN), inf, 0), (inf, 0));
    // fma(inf, 0, qNaN) is invalid (spec 11.6), and so with the operands swapped / a sNaN.
    for d in [false, true] {
        let (i, z, q, s, c) = if d {
            (inf, 0, CANON_D, snan, CANON_D)
        } else {
            (
                bs(f32::INFINITY),
                bs(0.0),
                CANON_S,
                bs(f32::from_bits(0x7f80_0001)),
                CANON_S,
            )
        };
        assert_eq!(run3(fma(0x43, d, RNE), i, z, q), (c, NV));
        assert_eq!(run3(fma(0x4f, d, RNE), z, i, q), (c, NV));
        assert_eq!(run3(fma(0x43, d, RNE), i, z, z), (c, NV));
        assert_eq!(run3(fma(0x43, d, RNE), z, z, s), (c, NV));
        assert_eq!(run3(fma(0x43, d, RNE), q, z, z), (c, 0));
    }
    // inf*1 - inf is invalid.
    assert_eq!(run3(fma(0x47, true, RNE), inf, bd(1.0), inf), (CANON_D, NV));
}

#[test]
fn divide_by_zero() {
    assert_eq!(run2(fdiv(true, RNE), bd(1.0), 0), (bd(f64::INFINITY), DZ));
    assert_eq!(
        run2(fdiv(true, RTZ), bd(-1.0), 0),
        (bd(f64::NEG_INFINITY), DZ)
    );
    assert_eq!(
        run2(fdiv(true, RNE), bd(1.0), bd(-0.0)),
        (bd(f64::NEG_INFINITY), DZ)
    );
    assert_eq!(
        run2(fdiv(false, RNE), bs(3.0), bs(0.0)),
        (bs(f32::INFINITY), DZ)
    );
    // inf / 0 is exact infinity, no DZ.
    assert_eq!(
        run2(fdiv(true, RNE), bd(f64::INFINITY), 0),
        (bd(f64::INFINITY), 0)
    );
}

#[test]
fn fma_variants() {
    let (a, b, c) = (bd(2.0), bd(3.0), bd(1.0));
    assert_eq!(run3(fma(0x43, true, RNE), a, b, c), (bd(7.0), 0));
    assert_eq!(run3(fma(0x47, true, RNE), a, b, c), (bd(5.0), 0));
    assert_eq!(run3(fma(0x4b, true, RNE), a, b, c), (bd(-5.0), 0));
    assert_eq!(run3(fma(0x4f, true, RNE), a, b, c), (bd(-7.0), 0));
    let (a, b, c) = (bs(2.0), bs(3.0), bs(1.0));
    assert_eq!(run3(fma(0x43, false, RNE), a, b, c), (bs(7.0), 0));
    assert_eq!(run3(fma(0x47, false, RNE), a, b, c), (bs(5.0), 0));
    assert_eq!(run3(fma(0x4b, false, RNE), a, b, c), (bs(-5.0), 0));
    assert_eq!(run3(fma(0x4f, false, RNE), a, b, c), (bs(-7.0), 0));
    // Single rounding: (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly.
    let (x, y) = (bd(1.0 + f64::EPSILON), bd(1.0 - f64::EPSILON));
    assert_eq!(
        run3(fma(0x47, true, RNE), x, y, bd(1.0)),
        (bd(-(2f64.powi(-104))), 0)
    );
    // Exact zero: x*y + (-x*y) is +0 in RNE, -0 in RDN.
    assert_eq!(
        run3(fma(0x47, true, RNE), bd(2.0), bd(3.0), bd(6.0)),
        (bd(0.0), 0)
    );
    assert_eq!(
        run3(fma(0x47, true, RDN), bd(2.0), bd(3.0), bd(6.0)),
        (bd(-0.0), 0)
    );
}

#[test]
fn min_max() {
    let q = CANON_D;
    let qp = 0x7ff8_0000_0000_0042;
    let s = 0x7ff0_0000_0000_0001;
    let (mn, mx) = (fminmax(true, false), fminmax(true, true));
    assert_eq!(run2(mn, bd(-0.0), bd(0.0)), (bd(-0.0), 0));
    assert_eq!(run2(mn, bd(0.0), bd(-0.0)), (bd(-0.0), 0));
    assert_eq!(run2(mx, bd(-0.0), bd(0.0)), (bd(0.0), 0));
    assert_eq!(run2(mx, bd(0.0), bd(-0.0)), (bd(0.0), 0));
    assert_eq!(run2(mn, qp, bd(1.0)), (bd(1.0), 0));
    assert_eq!(run2(mx, bd(1.0), qp), (bd(1.0), 0));
    assert_eq!(run2(mn, s, bd(1.0)), (bd(1.0), NV));
    assert_eq!(run2(mx, bd(1.0), s), (bd(1.0), NV));
    assert_eq!(run2(mn, qp, q), (CANON_D, 0));
    assert_eq!(run2(mx, s, qp), (CANON_D, NV));
    assert_eq!(run2(mn, bd(-2.0), bd(1.0)), (bd(-2.0), 0));
    assert_eq!(run2(mx, bd(-2.0), bd(1.0)), (bd(1.0), 0));
    assert_eq!(run2(mx, bd(f64::NEG_INFINITY), bd(-1e300)), (bd(-1e300), 0));
    let (mn, mx) = (fminmax(false, false), fminmax(false, true));
    let ss = bs(f32::from_bits(0x7f80_0001));
    assert_eq!(run2(mn, bs(-0.0), bs(0.0)), (bs(-0.0), 0));
    assert_eq!(run2(mx, bs(-0.0), bs(0.0)), (bs(0.0), 0));
    assert_eq!(run2(mn, CANON_S, bs(1.0)), (bs(1.0), 0));
    assert_eq!(run2(mx, ss, bs(1.0)), (bs(1.0), NV));
    assert_eq!(run2(mn, ss, CANON_S), (CANON_S, NV));
    assert_eq!(run2(mx, bs(3.0), bs(2.0)), (bs(3.0), 0));
}

#[test]
fn compares() {
    let q = CANON_D;
    let s = 0x7ff0_0000_0000_0001;
    let (feq, flt, fle) = (fcmp(true, 2), fcmp(true, 1), fcmp(true, 0));
    assert_eq!(runx(feq, bd(1.0), bd(1.0)), (1, 0));
    assert_eq!(runx(feq, bd(-0.0), bd(0.0)), (1, 0));
    assert_eq!(runx(flt, bd(-0.0), bd(0.0)), (0, 0));
    assert_eq!(runx(fle, bd(-0.0), bd(0.0)), (1, 0));
    assert_eq!(runx(flt, bd(1.0), bd(2.0)), (1, 0));
    assert_eq!(runx(fle, bd(2.0), bd(1.0)), (0, 0));
    assert_eq!(runx(feq, q, bd(1.0)), (0, 0));
    assert_eq!(runx(feq, s, bd(1.0)), (0, NV));
    assert_eq!(runx(flt, q, bd(1.0)), (0, NV));
    assert_eq!(runx(fle, bd(1.0), q), (0, NV));
    assert_eq!(runx(fcmp(false, 1), bs(1.0), bs(2.0)), (1, 0));
    assert_eq!(
        runx(fcmp(false, 2), bs(f32::from_bits(0x7f80_0001)), bs(1.0)),
        (0, NV)
    );
    assert_eq!(runx(fcmp(false, 0), CANON_S, CANON_S), (0, NV));
}

#[test]
fn classify_all_ten_classes() {
    let d = [
        (bd(f64::NEG_INFINITY), 0),
        (bd(-1.5), 1),
        (bd(-f64::from_bits(1)), 2),
        (bd(-0.0), 3),
        (bd(0.0), 4),
        (0x000f_ffff_ffff_ffff, 5),
        (bd(f64::MAX), 6),
        (bd(f64::INFINITY), 7),
        (0x7ff0_0000_0000_0001, 8),
        (0xfff8_0000_0000_0000, 9),
    ];
    for (v, bit) in d {
        assert_eq!(runx(fclass(true), v, 0), (1 << bit, 0), "{v:#x}");
    }
    let s = [
        (f32::NEG_INFINITY.to_bits(), 0),
        ((-1.5f32).to_bits(), 1),
        (0x8000_0001, 2),
        (0x8000_0000, 3),
        (0, 4),
        (0x007f_ffff, 5),
        (f32::MIN_POSITIVE.to_bits(), 6),
        (f32::INFINITY.to_bits(), 7),
        (0x7fbf_ffff, 8),
        (0x7fc0_0001, 9),
    ];
    for (v, bit) in s {
        assert_eq!(
            runx(fclass(false), bs(f32::from_bits(v)), 0),
            (1 << bit, 0),
            "{v:#x}"
        );
    }
}

#[test]
fn conversion_saturation() {
    // (input, [w, wu, l, lu] as (value, flags))
    let nan = f64::NAN;
    let i32max = 0x7fff_ffffu64;
    let i32min = 0xffff_ffff_8000_0000u64;
    let m = u64::MAX;
    let i64max = i64::MAX as u64;
    let i64min = i64::MIN as u64;
    #[rustfmt::skip]
    let table: [(f64, [(u64, u64); 4]); 12] = [
        (nan, [(i32max, NV), (m, NV), (i64max, NV), (m, NV)]),
        (f64::INFINITY, [(i32max, NV), (m, NV), (i64max, NV), (m, NV)]),
        (f64::NEG_INFINITY, [(i32min, NV), (0, NV), (i64min, NV), (0, NV)]),
        (1e30, [(i32max, NV), (m, NV), (i64max, NV), (m, NV)]),
        (-1e30, [(i32min, NV), (0, NV), (i64min, NV), (0, NV)]),
        (-0.5, [(0, NX), (0, NX), (0, NX), (0, NX)]),
        (-0.75, [(-1i64 as u64, NX), (0, NV), (-1i64 as u64, NX), (0, NV)]),
        (-1.0, [(-1i64 as u64, 0), (0, NV), (-1i64 as u64, 0), (0, NV)]),
        (-0.0, [(0, 0), (0, 0), (0, 0), (0, 0)]),
        (2147483648.0, [(i32max, NV), (0xffff_ffff_8000_0000, 0), (0x8000_0000, 0), (0x8000_0000, 0)]),
        (-2147483648.0, [(i32min, 0), (0, NV), (i32min, 0), (0, NV)]),
        (4294967295.0, [(i32max, NV), (m, 0), (0xffff_ffff, 0), (0xffff_ffff, 0)]),
    ];
    for (x, exp) in table {
        for (k, want) in exp.iter().enumerate() {
            let got = runx(fcvt_to_int(true, k as u32, RNE), bd(x), 0);
            assert_eq!(got, *want, "fcvt k={k}.d of {x}");
            // The same from single precision wherever the input is exactly a single.
            if (x as f32) as f64 == x || x.is_nan() {
                let got = runx(fcvt_to_int(false, k as u32, RNE), bs(x as f32), 0);
                assert_eq!(got, *want, "fcvt k={k}.s of {x}");
            }
        }
    }
    // 64-bit limits: 2^63 overflows l but fits lu; -2^63 fits l; 2^64 overflows lu.
    assert_eq!(
        runx(fcvt_to_int(true, 2, RNE), bd(2f64.powi(63)), 0),
        (i64max, NV)
    );
    assert_eq!(
        runx(fcvt_to_int(true, 3, RNE), bd(2f64.powi(63)), 0),
        (1 << 63, 0)
    );
    assert_eq!(
        runx(fcvt_to_int(true, 2, RNE), bd(-(2f64.powi(63))), 0),
        (i64min, 0)
    );
    assert_eq!(
        runx(fcvt_to_int(true, 3, RNE), bd(2f64.powi(64)), 0),
        (m, NV)
    );
    assert_eq!(
        runx(fcvt_to_int(false, 3, RNE), bs(2f32.powi(64)), 0),
        (m, NV)
    );
    // -0.5 in RDN rounds to -1: out of range for unsigned.
    assert_eq!(runx(fcvt_to_int(true, 1, RDN), bd(-0.5), 0), (0, NV));
    assert_eq!(runx(fcvt_to_int(false, 3, RDN), bs(-0.5), 0), (0, NV));
    // 2147483647.5 in RUP rounds to 2^31: out of range for w.
    assert_eq!(
        runx(fcvt_to_int(true, 0, RUP), bd(2147483647.5), 0),
        (i32max, NV)
    );
    assert_eq!(
        runx(fcvt_to_int(true, 0, RTZ), bd(2147483647.5), 0),
        (i32max, NX)
    );
    // Tiny values.
    assert_eq!(runx(fcvt_to_int(true, 2, RUP), 1, 0), (1, NX));
    assert_eq!(
        runx(fcvt_to_int(true, 2, RDN), 1 | 1 << 63, 0),
        (-1i64 as u64, NX)
    );
    assert_eq!(runx(fcvt_to_int(true, 2, RNE), 1, 0), (0, NX));
}

#[test]
fn integer_to_float() {
    // 2^24 + 1 is a tie between 2^24 and 2^24 + 2 in single precision.
    let v = (1u64 << 24) + 1;
    for (rm, want) in [
        (RNE, 16777216.0f32),
        (RTZ, 16777216.0),
        (RDN, 16777216.0),
        (RUP, 16777218.0),
        (RMM, 16777218.0),
    ] {
        assert_eq!(run_from_x(fcvt_from_int(false, 2, rm), v), (bs(want), NX));
        assert_eq!(run_from_x(fcvt_from_int(false, 0, rm), v), (bs(want), NX));
    }
    // Negative: -(2^24 + 1).
    let nv = v.wrapping_neg();
    assert_eq!(
        run_from_x(fcvt_from_int(false, 2, RDN), nv),
        (bs(-16777218.0), NX)
    );
    assert_eq!(
        run_from_x(fcvt_from_int(false, 2, RUP), nv),
        (bs(-16777216.0), NX)
    );
    // w reads the low 32 bits signed, wu unsigned.
    assert_eq!(
        run_from_x(fcvt_from_int(true, 0, RNE), 0xffff_ffff),
        (bd(-1.0), 0)
    );
    assert_eq!(
        run_from_x(fcvt_from_int(true, 1, RNE), 0x1_ffff_ffff),
        (bd(4294967295.0), 0)
    );
    assert_eq!(
        run_from_x(fcvt_from_int(true, 3, RNE), u64::MAX),
        (bd(2f64.powi(64)), NX)
    );
    assert_eq!(
        run_from_x(fcvt_from_int(true, 3, RTZ), u64::MAX),
        (0x43ef_ffff_ffff_ffff, NX)
    );
    assert_eq!(
        run_from_x(fcvt_from_int(true, 2, RNE), 1 << 63),
        (bd(-(2f64.powi(63))), 0)
    );
    assert_eq!(run_from_x(fcvt_from_int(true, 2, RNE), 0), (0, 0));
    assert_eq!(run_from_x(fcvt_from_int(false, 3, RNE), 0), (bs(0.0), 0));
}

#[test]
fn precision_conversions() {
    let cvt_s_d = |rm| r(0b0100000, 1, 1, rm, 3, OP_FP);
    let cvt_d_s = r(0b0100001, 0, 1, 0, 3, OP_FP);
    assert_eq!(run2(cvt_s_d(RNE), bd(1.5), 0), (bs(1.5), 0));
    assert_eq!(run2(cvt_s_d(RNE), bd(0.1), 0), (bs(0.1), NX));
    assert_eq!(run2(cvt_s_d(RUP), bd(0.1), 0), (bs(0.1), NX)); // 0.1f rounds up
    assert_eq!(
        run2(cvt_s_d(RTZ), bd(0.1), 0),
        (bs(f32::from_bits(0x3dcc_cccc)), NX)
    );
    assert_eq!(
        run2(cvt_s_d(RNE), bd(1e300), 0),
        (bs(f32::INFINITY), OF | NX)
    );
    assert_eq!(run2(cvt_s_d(RTZ), bd(1e300), 0), (bs(f32::MAX), OF | NX));
    assert_eq!(run2(cvt_s_d(RNE), 0x7ff0_0000_0000_0001, 0), (CANON_S, NV));
    assert_eq!(run2(cvt_s_d(RNE), 0xfff8_0000_0000_1234, 0), (CANON_S, 0));
    assert_eq!(run2(cvt_s_d(RNE), bd(1e-300), 0), (bs(0.0), UF | NX));
    assert_eq!(
        run2(cvt_s_d(RUP), bd(1e-300), 0),
        (bs(f32::from_bits(1)), UF | NX)
    );
    // (1 - 2^-24) * 2^-126 is a 24-bit number below the smallest normal: rounding it to the
    // subnormal grid gives 2^-126 (a tie to even), yet it is tiny after rounding: UF.
    let x = (1.0 - 2f64.powi(-24)) * 2f64.powi(-126);
    assert_eq!(
        run2(cvt_s_d(RNE), bd(x), 0),
        (bs(f32::MIN_POSITIVE), UF | NX)
    );
    // (1 - 2^-25) * 2^-126 rounds to 2^-126 even with unbounded exponent: not tiny.
    let x = (1.0 - 2f64.powi(-25)) * 2f64.powi(-126);
    assert_eq!(run2(cvt_s_d(RNE), bd(x), 0), (bs(f32::MIN_POSITIVE), NX));
    // fcvt.d.s: exact, sNaN raises NV, NaN canonical.
    assert_eq!(run2(cvt_d_s, bs(0.1), 0), (bd(f64::from(0.1f32)), 0));
    assert_eq!(
        run2(cvt_d_s, bs(f32::from_bits(1)), 0),
        (bd(f64::from(f32::from_bits(1))), 0)
    );
    assert_eq!(
        run2(cvt_d_s, bs(f32::from_bits(0x7f80_0001)), 0),
        (CANON_D, NV)
    );
    assert_eq!(
        run2(cvt_d_s, bs(f32::from_bits(0xffc0_0001)), 0),
        (CANON_D, 0)
    );
}

#[test]
fn overflow_by_rounding_mode() {
    let max = bd(f64::MAX);
    let inf = bd(f64::INFINITY);
    let neg = |x: u64| x | 1 << 63;
    for (rm, pos, negr) in [
        (RNE, inf, neg(inf)),
        (RTZ, max, neg(max)),
        (RDN, max, neg(inf)),
        (RUP, inf, neg(max)),
        (RMM, inf, neg(inf)),
    ] {
        assert_eq!(
            run2(fmul(true, rm), max, bd(2.0)),
            (pos, OF | NX),
            "rm {rm}"
        );
        assert_eq!(
            run2(fmul(true, rm), max, bd(-2.0)),
            (negr, OF | NX),
            "rm {rm}"
        );
        assert_eq!(run2(fadd(true, rm), max, max), (pos, OF | NX), "rm {rm}");
    }
    let smax = bs(f32::MAX);
    assert_eq!(
        run2(fmul(false, RNE), smax, bs(2.0)),
        (bs(f32::INFINITY), OF | NX)
    );
    assert_eq!(run2(fmul(false, RTZ), smax, bs(2.0)), (smax, OF | NX));
    assert_eq!(
        run3(fma(0x43, false, RNE), smax, bs(2.0), bs(1.0)),
        (bs(f32::INFINITY), OF | NX)
    );
    assert_eq!(run2(fdiv(true, RNE), max, bd(0.5)), (inf, OF | NX));
}

#[test]
fn underflow_after_rounding() {
    let min = bd(f64::MIN_POSITIVE); // 2^-1022
                                     // (1 - 2^-53) * 2^-1022: exact product is a 53-bit number below 2^-1022, rounds up to 2^-1022
                                     // on the subnormal grid (tie to even): tiny after rounding, inexact: UF | NX.
    let a = bd(1.0 - 2f64.powi(-53));
    assert_eq!(run2(fmul(true, RNE), a, min), (min, UF | NX));
    assert_eq!(run2(fmul(true, RMM), a, min), (min, UF | NX));
    assert_eq!(run2(fmul(true, RUP), a, min), (min, UF | NX));
    assert_eq!(run2(fmul(true, RTZ), a, min), (min - 1, UF | NX));
    // (1 - 2^-27)(1 + 2^-27) * 2^-1022 = (1 - 2^-54) * 2^-1022 rounds to 2^-1022 even with an
    // unbounded exponent: not tiny, only NX.
    let x = bd((1.0 - 2f64.powi(-27)) * 2f64.powi(-511));
    let y = bd((1.0 + 2f64.powi(-27)) * 2f64.powi(-511));
    assert_eq!(run2(fmul(true, RNE), x, y), (min, NX));
    // RUP: (1 - 2^-54) * 2^-1022 also rounds up at 53 bits: not tiny.
    assert_eq!(run2(fmul(true, RUP), x, y), (min, NX));
    // Subnormal inexact results.
    assert_eq!(
        run2(fmul(true, RNE), bd(2f64.powi(-1074)), bd(0.5)),
        (0, UF | NX)
    );
    assert_eq!(
        run2(fmul(true, RUP), bd(2f64.powi(-1074)), bd(0.5)),
        (1, UF | NX)
    );
    assert_eq!(
        run2(fmul(true, RNE), bd(2f64.powi(-1074)), bd(1.5)),
        (2, UF | NX)
    );
    assert_eq!(
        run2(fdiv(true, RNE), min, bd(3.0)),
        (bd(f64::MIN_POSITIVE / 3.0), UF | NX)
    );
    // Exact subnormal results do not underflow.
    assert_eq!(
        run2(fmul(true, RNE), min, bd(0.5)),
        (bd(2f64.powi(-1023)), 0)
    );
    assert_eq!(
        run2(
            fsub(true, RNE),
            bd(3.0 * 2f64.powi(-1022)),
            bd(2.5 * 2f64.powi(-1022))
        ),
        (bd(2f64.powi(-1023)), 0)
    );
    // Single: (1 - 2^-24) * 2^-126 -> 2^-126 with UF.
    let a = bs(1.0 - 2f32.powi(-24));
    let m = bs(f32::MIN_POSITIVE);
    assert_eq!(run2(fmul(false, RNE), a, m), (m, UF | NX));
    assert_eq!(run3(fma(0x43, false, RNE), a, m, bs(0.0)), (m, UF | NX));
    assert_eq!(
        run3(fma(0x43, true, RNE), bd(1.0 - 2f64.powi(-53)), min, 0),
        (min, UF | NX)
    );
    // fma whose product is tiny but whose sum is not: no UF.
    assert_eq!(run3(fma(0x43, true, RNE), min, min, bd(1.0)), (bd(1.0), NX));
}

#[test]
fn exact_results_and_signed_zeros() {
    assert_eq!(run2(fadd(true, RNE), bd(1.0), bd(2.0)), (bd(3.0), 0));
    assert_eq!(run2(fsub(true, RNE), bd(1.0), bd(1.0)), (bd(0.0), 0));
    assert_eq!(run2(fsub(true, RDN), bd(1.0), bd(1.0)), (bd(-0.0), 0));
    assert_eq!(run2(fsub(false, RDN), bs(1.0), bs(1.0)), (bs(-0.0), 0));
    assert_eq!(run2(fadd(true, RNE), bd(-0.0), bd(-0.0)), (bd(-0.0), 0));
    assert_eq!(run2(fmul(true, RNE), bd(-0.0), bd(5.0)), (bd(-0.0), 0));
    assert_eq!(run2(fdiv(true, RNE), bd(0.0), bd(-5.0)), (bd(-0.0), 0));
    assert_eq!(run2(fsqrt(true, RNE), bd(4.0), 0), (bd(2.0), 0));
    assert_eq!(run2(fsqrt(true, RNE), bd(2.0), 0), (bd(2f64.sqrt()), NX));
    assert_eq!(run2(fsqrt(false, RNE), bs(2.0), 0), (bs(2f32.sqrt()), NX));
    // sqrt(2) = 1.41421356237309504880...; the nearest double 0x3ff6a09e667f3bcd is above it.
    assert_eq!(
        run2(fsqrt(true, RUP), bd(2.0), 0),
        (0x3ff6_a09e_667f_3bcd, NX)
    );
    assert_eq!(
        run2(fsqrt(true, RTZ), bd(2.0), 0),
        (0x3ff6_a09e_667f_3bcc, NX)
    );
    assert_eq!(
        run2(fsqrt(true, RNE), bd(2.0), 0),
        (0x3ff6_a09e_667f_3bcd, NX)
    );
    assert_eq!(
        run2(fdiv(true, RNE), bd(1.0), bd(3.0)),
        (0x3fd5_5555_5555_5555, NX)
    );
    assert_eq!(
        run2(fdiv(true, RUP), bd(1.0), bd(3.0)),
        (0x3fd5_5555_5555_5556, NX)
    );
    assert_eq!(run2(fsub(true, RNE), bd(1.0), bd(0.1)), (bd(1.0 - 0.1), NX));
    // Sign injection does not canonicalize NaNs.
    let s = 0x7ff0_0000_0000_0001;
    assert_eq!(run2(fsgnj(true, 1), s, bd(1.0)), (s | 1 << 63, 0));
    assert_eq!(run2(fsgnj(true, 2), bd(-2.0), bd(-1.0)), (bd(2.0), 0));
    assert_eq!(run2(fsgnj(false, 2), bs(-2.0), bs(1.0)), (bs(-2.0), 0));
    assert_eq!(run2(fsgnj(false, 1), bs(2.0), bs(2.0)), (bs(-2.0), 0));
}
