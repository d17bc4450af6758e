//! Floating-point semantics of the F and D extensions (RISC-V Unprivileged ISA 20191213,
//! chapters 11–13): the single definition both engines call, as [`Helper`] functions.
//!
//! Layers:
//! * [`soft`]: the reference semantics on raw bits (apfloat-based rounding with RISC-V's NaN rules
//!   and after-rounding tininess; own square root and float-to-integer conversion).
//! * [`fast`]: host fast paths for round-to-nearest-even, each taken only when it is provably
//!   identical to the reference (value and flags), falling back to it otherwise.
//! * The public functions here ([`arith`], [`sqrt`], ...) combine the two on un-NaN-boxed bit
//!   patterns and accrue flags into an `fflags` word; the `Helper` statics ([`SINGLE`],
//!   [`DOUBLE`], [`FCVT_S_D`], [`FCVT_D_S`]) wrap them with rounding-mode resolution and
//!   NaN-boxing for the instruction semantics in `riscv::rvf` / `riscv::rvd`.
//!
//! Helper conventions: single-precision operands arrive as the raw 64-bit register contents and
//! are unboxed here (a value whose upper 32 bits are not all ones reads as the canonical NaN);
//! single-precision results are returned NaN-boxed. A rounding-mode argument is the instruction's
//! `rm` field; 7 selects `frm`. When `frm` holds a reserved mode (5, 6 or 7) the helper raises
//! illegal instruction with **tval 0** (a helper does not know the instruction bits) and leaves
//! `fflags` unchanged. Static reserved modes (5, 6) are trapped by the semantics before any call,
//! with the instruction bits as tval.

pub mod fast;
pub mod soft;
#[cfg(test)]
mod tests;

use crate::emit::{FpFast, FpFastOp, Helper};
use crate::{Cause, CpuState};
pub use soft::{CmpOp, Fmt, Op, F32, F64};

/// `fflags` bits.
pub const NV: u8 = 0x10;
pub const DZ: u8 = 0x08;
pub const OF: u8 = 0x04;
pub const UF: u8 = 0x02;
pub const NX: u8 = 0x01;

/// A valid rounding mode (the `rm` encodings 0–4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rm {
    /// Round to nearest, ties to even.
    Rne = 0,
    /// Round towards zero.
    Rtz = 1,
    /// Round down (towards -inf).
    Rdn = 2,
    /// Round up (towards +inf).
    Rup = 3,
    /// Round to nearest, ties to max magnitude.
    Rmm = 4,
}

impl Rm {
    /// The rounding mode of an encoding, `None` for the reserved values (and for 7, "dynamic",
    /// which must be resolved through `frm` first).
    pub fn from_bits(v: u64) -> Option<Rm> {
        Some(match v {
            0 => Rm::Rne,
            1 => Rm::Rtz,
            2 => Rm::Rdn,
            3 => Rm::Rup,
            4 => Rm::Rmm,
            _ => return None,
        })
    }
    pub const ALL: [Rm; 5] = [Rm::Rne, Rm::Rtz, Rm::Rdn, Rm::Rup, Rm::Rmm];
}

/// NaN-boxes a single-precision pattern (upper 32 bits set to ones).
#[inline(always)]
pub fn nan_box(x: u64) -> u64 {
    x | 0xffff_ffff_0000_0000
}

/// Reads a single-precision operand from a 64-bit register value: the low 32 bits when properly
/// NaN-boxed, the canonical NaN otherwise.
#[inline(always)]
pub fn unbox(x: u64) -> u64 {
    if x >> 32 == 0xffff_ffff {
        x & 0xffff_ffff
    } else {
        F32::CANON
    }
}

/// A format with fast paths and register boxing rules.
pub trait Prec: Fmt {
    /// Operand from a register value.
    fn unbox(x: u64) -> u64;
    /// Register value for a result.
    fn rebox(x: u64) -> u64;
    /// RNE fast path of `op` on unboxed bits.
    fn fast(fl: &mut u64, op: Op, a: u64, b: u64, c: u64) -> Option<u64>;
    fn fast_sqrt(fl: &mut u64, a: u64) -> Option<u64>;
    /// RNE conversion of an integer that fits in `i64` or `u64`, and whether it was exact.
    fn from_i64(x: i64) -> (u64, bool);
    fn from_u64(x: u64) -> (u64, bool);
}

impl Prec for F64 {
    #[inline(always)]
    fn unbox(x: u64) -> u64 {
        x
    }
    #[inline(always)]
    fn rebox(x: u64) -> u64 {
        x
    }
    #[inline(always)]
    fn fast(fl: &mut u64, op: Op, a: u64, b: u64, c: u64) -> Option<u64> {
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        match op {
            Op::Add => fast::add_d(fl, x, y),
            Op::Sub => fast::add_d(fl, x, -y),
            Op::Mul => fast::mul_d(fl, x, y),
            Op::Div => fast::div_d(fl, x, y),
            Op::Fma => fast::fma_d(fl, x, y, f64::from_bits(c)),
        }
        .map(f64::to_bits)
    }
    #[inline(always)]
    fn fast_sqrt(fl: &mut u64, a: u64) -> Option<u64> {
        fast::sqrt_d(fl, f64::from_bits(a)).map(f64::to_bits)
    }
    fn from_i64(x: i64) -> (u64, bool) {
        let r = x as f64;
        (r.to_bits(), r as i128 == i128::from(x))
    }
    fn from_u64(x: u64) -> (u64, bool) {
        let r = x as f64;
        (r.to_bits(), r as i128 == i128::from(x))
    }
}

impl Prec for F32 {
    #[inline(always)]
    fn unbox(x: u64) -> u64 {
        unbox(x)
    }
    #[inline(always)]
    fn rebox(x: u64) -> u64 {
        nan_box(x)
    }
    #[inline(always)]
    fn fast(fl: &mut u64, op: Op, a: u64, b: u64, c: u64) -> Option<u64> {
        let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
        match op {
            Op::Add => fast::add_s(fl, x, y),
            Op::Sub => fast::add_s(fl, x, -y),
            Op::Mul => fast::mul_s(fl, x, y),
            Op::Div => fast::div_s(fl, x, y),
            Op::Fma => fast::fma_s(fl, x, y, f32::from_bits(c as u32)),
        }
        .map(|r| u64::from(r.to_bits()))
    }
    #[inline(always)]
    fn fast_sqrt(fl: &mut u64, a: u64) -> Option<u64> {
        fast::sqrt_s(fl, f32::from_bits(a as u32)).map(|r| u64::from(r.to_bits()))
    }
    fn from_i64(x: i64) -> (u64, bool) {
        let r = x as f32;
        (u64::from(r.to_bits()), r as i128 == i128::from(x))
    }
    fn from_u64(x: u64) -> (u64, bool) {
        let r = x as f32;
        (u64::from(r.to_bits()), r as i128 == i128::from(x))
    }
}

#[inline(always)]
fn accrue(fl: &mut u64, (r, f): (u64, u8)) -> u64 {
    *fl |= u64::from(f);
    r
}

/// `op(a, b[, c])` on unboxed bits with rounding mode `rm`, accruing flags into `fl`.
#[inline(always)]
pub fn arith<F: Prec>(fl: &mut u64, op: Op, a: u64, b: u64, c: u64, rm: Rm) -> u64 {
    if rm == Rm::Rne {
        if let Some(r) = F::fast(fl, op, a, b, c) {
            return r;
        }
    }
    accrue(fl, soft::arith::<F>(op, a, b, c, rm))
}

/// Square root on unboxed bits.
#[inline(always)]
pub fn sqrt<F: Prec>(fl: &mut u64, a: u64, rm: Rm) -> u64 {
    if rm == Rm::Rne {
        if let Some(r) = F::fast_sqrt(fl, a) {
            return r;
        }
    }
    accrue(fl, soft::sqrt::<F>(a, rm))
}

/// `fcvt.s.d` (result not boxed).
pub fn cvt_s_d(fl: &mut u64, a: u64, rm: Rm) -> u64 {
    if rm == Rm::Rne {
        if let Some(r) = fast::cvt_s_d(fl, f64::from_bits(a)) {
            return u64::from(r.to_bits());
        }
    }
    accrue(fl, soft::cvt_s_d(a, rm))
}

/// `fcvt.d.s` (operand unboxed): exact.
pub fn cvt_d_s(fl: &mut u64, a: u64) -> u64 {
    accrue(fl, soft::cvt_d_s(a))
}

/// Integer to float: `x` is the source register, interpreted as signed/unsigned 32/64-bit.
pub fn from_int<F: Prec>(fl: &mut u64, x: u64, signed: bool, wide: bool, rm: Rm) -> u64 {
    let v: i128 = match (signed, wide) {
        (true, true) => i128::from(x as i64),
        (true, false) => i128::from(x as i32),
        (false, true) => i128::from(x),
        (false, false) => i128::from(x as u32),
    };
    if rm == Rm::Rne {
        let (r, exact) = if signed || !wide {
            F::from_i64(v as i64)
        } else {
            F::from_u64(x)
        };
        if !exact {
            *fl |= u64::from(NX);
        }
        return r;
    }
    accrue(fl, soft::from_int::<F>(v, rm))
}

/// Float (unboxed bits) to integer; 32-bit results sign-extended.
pub fn to_int<F: Prec>(fl: &mut u64, a: u64, signed: bool, wide: bool, rm: Rm) -> u64 {
    accrue(fl, soft::to_int::<F>(a, rm, signed, wide))
}

/// Resolves a rounding-mode argument (7 = `frm`); raises illegal instruction (tval 0) for a
/// reserved mode.
#[inline(always)]
fn resolve(cpu: &mut CpuState, rm: u64) -> Option<Rm> {
    let m = if rm == 7 { cpu.frm } else { rm };
    let r = Rm::from_bits(m);
    if r.is_none() {
        cpu.raise_from_helper(Cause::IllegalInstruction, 0);
    }
    r
}

const fn op_of(op: u8) -> Op {
    match op {
        0 => Op::Add,
        1 => Op::Sub,
        2 => Op::Mul,
        3 => Op::Div,
        _ => Op::Fma,
    }
}

extern "C" fn h_arith<F: Prec, const OP: u8>(cpu: &mut CpuState, a: u64, b: u64, rm: u64) -> u64 {
    let Some(rm) = resolve(cpu, rm) else { return 0 };
    F::rebox(arith::<F>(
        &mut cpu.fflags,
        op_of(OP),
        F::unbox(a),
        F::unbox(b),
        0,
        rm,
    ))
}

extern "C" fn h_fma<F: Prec, const RM: u64>(cpu: &mut CpuState, a: u64, b: u64, c: u64) -> u64 {
    let Some(rm) = resolve(cpu, RM) else { return 0 };
    F::rebox(arith::<F>(
        &mut cpu.fflags,
        Op::Fma,
        F::unbox(a),
        F::unbox(b),
        F::unbox(c),
        rm,
    ))
}

extern "C" fn h_sqrt<F: Prec>(cpu: &mut CpuState, a: u64, rm: u64, _: u64) -> u64 {
    let Some(rm) = resolve(cpu, rm) else { return 0 };
    F::rebox(sqrt::<F>(&mut cpu.fflags, F::unbox(a), rm))
}

extern "C" fn h_minmax<F: Prec, const MAX: bool>(
    cpu: &mut CpuState,
    a: u64,
    b: u64,
    _: u64,
) -> u64 {
    F::rebox(accrue(
        &mut cpu.fflags,
        soft::min_max::<F>(F::unbox(a), F::unbox(b), MAX),
    ))
}

extern "C" fn h_cmp<F: Prec, const OP: u8>(cpu: &mut CpuState, a: u64, b: u64, _: u64) -> u64 {
    let op = match OP {
        0 => CmpOp::Eq,
        1 => CmpOp::Lt,
        _ => CmpOp::Le,
    };
    accrue(
        &mut cpu.fflags,
        soft::compare::<F>(F::unbox(a), F::unbox(b), op),
    )
}

extern "C" fn h_class<F: Prec>(_cpu: &mut CpuState, a: u64, _: u64, _: u64) -> u64 {
    soft::classify::<F>(F::unbox(a))
}

extern "C" fn h_to_int<F: Prec, const SIGNED: bool, const WIDE: bool>(
    cpu: &mut CpuState,
    a: u64,
    rm: u64,
    _: u64,
) -> u64 {
    let Some(rm) = resolve(cpu, rm) else { return 0 };
    to_int::<F>(&mut cpu.fflags, F::unbox(a), SIGNED, WIDE, rm)
}

extern "C" fn h_from_int<F: Prec, const SIGNED: bool, const WIDE: bool>(
    cpu: &mut CpuState,
    x: u64,
    rm: u64,
    _: u64,
) -> u64 {
    let Some(rm) = resolve(cpu, rm) else { return 0 };
    F::rebox(from_int::<F>(&mut cpu.fflags, x, SIGNED, WIDE, rm))
}

extern "C" fn h_cvt_s_d(cpu: &mut CpuState, a: u64, rm: u64, _: u64) -> u64 {
    let Some(rm) = resolve(cpu, rm) else { return 0 };
    nan_box(cvt_s_d(&mut cpu.fflags, a, rm))
}

extern "C" fn h_cvt_d_s(cpu: &mut CpuState, a: u64, rm: u64, _: u64) -> u64 {
    // Exact, but an invalid rounding mode is still illegal (as in Spike and QEMU).
    if resolve(cpu, rm).is_none() {
        return 0;
    }
    cvt_d_s(&mut cpu.fflags, unbox(a))
}

/// The helpers of one precision. Arguments: `(a, b, rm)` for arithmetic, `(a, rm, _)` for
/// square root and conversions, `(a, b, _)` for min/max/compare, `(a, _, _)` for class, and
/// `(a, b, c)` for `fma[rm]` (the semantics negate operands for fmsub/fnmsub/fnmadd; index 7
/// uses `frm`, indices 5 and 6 raise illegal instruction and are never called).
pub struct FpHelpers {
    pub add: Helper,
    pub sub: Helper,
    pub mul: Helper,
    pub div: Helper,
    pub sqrt: Helper,
    pub fma: [Helper; 8],
    pub min: Helper,
    pub max: Helper,
    pub eq: Helper,
    pub lt: Helper,
    pub le: Helper,
    pub class: Helper,
    /// Float to `w`, `wu`, `l`, `lu`.
    pub to_w: Helper,
    pub to_wu: Helper,
    pub to_l: Helper,
    pub to_lu: Helper,
    /// `w`, `wu`, `l`, `lu` to float.
    pub from_w: Helper,
    pub from_wu: Helper,
    pub from_l: Helper,
    pub from_lu: Helper,
}

macro_rules! h {
    ($name:expr, $f:expr, $raise:expr) => {
        Helper {
            name: $name,
            f: $f,
            may_raise: $raise,
            fast: None,
        }
    };
    ($name:expr, $f:expr, $raise:expr, $op:expr, $d:expr) => {
        Helper {
            name: $name,
            f: $f,
            may_raise: $raise,
            fast: Some(FpFast {
                op: $op,
                double: $d,
            }),
        }
    };
}

macro_rules! helpers {
    ($F:ty, $s:literal, $d:expr) => {
        FpHelpers {
            add: h!(
                concat!("xlate_fadd_", $s),
                h_arith::<$F, 0>,
                true,
                FpFastOp::Add,
                $d
            ),
            sub: h!(
                concat!("xlate_fsub_", $s),
                h_arith::<$F, 1>,
                true,
                FpFastOp::Sub,
                $d
            ),
            mul: h!(
                concat!("xlate_fmul_", $s),
                h_arith::<$F, 2>,
                true,
                FpFastOp::Mul,
                $d
            ),
            div: h!(
                concat!("xlate_fdiv_", $s),
                h_arith::<$F, 3>,
                true,
                FpFastOp::Div,
                $d
            ),
            sqrt: h!(
                concat!("xlate_fsqrt_", $s),
                h_sqrt::<$F>,
                true,
                FpFastOp::Sqrt,
                $d
            ),
            fma: [
                h!(
                    concat!("xlate_fma_", $s, "_rne"),
                    h_fma::<$F, 0>,
                    false,
                    FpFastOp::Fma { rm: 0 },
                    $d
                ),
                h!(concat!("xlate_fma_", $s, "_rtz"), h_fma::<$F, 1>, false),
                h!(concat!("xlate_fma_", $s, "_rdn"), h_fma::<$F, 2>, false),
                h!(concat!("xlate_fma_", $s, "_rup"), h_fma::<$F, 3>, false),
                h!(concat!("xlate_fma_", $s, "_rmm"), h_fma::<$F, 4>, false),
                h!(concat!("xlate_fma_", $s, "_rm5"), h_fma::<$F, 5>, true),
                h!(concat!("xlate_fma_", $s, "_rm6"), h_fma::<$F, 6>, true),
                h!(
                    concat!("xlate_fma_", $s, "_dyn"),
                    h_fma::<$F, 7>,
                    true,
                    FpFastOp::Fma { rm: 7 },
                    $d
                ),
            ],
            min: h!(
                concat!("xlate_fmin_", $s),
                h_minmax::<$F, false>,
                false,
                FpFastOp::Min,
                $d
            ),
            max: h!(
                concat!("xlate_fmax_", $s),
                h_minmax::<$F, true>,
                false,
                FpFastOp::Max,
                $d
            ),
            eq: h!(
                concat!("xlate_feq_", $s),
                h_cmp::<$F, 0>,
                false,
                FpFastOp::Eq,
                $d
            ),
            lt: h!(
                concat!("xlate_flt_", $s),
                h_cmp::<$F, 1>,
                false,
                FpFastOp::Lt,
                $d
            ),
            le: h!(
                concat!("xlate_fle_", $s),
                h_cmp::<$F, 2>,
                false,
                FpFastOp::Le,
                $d
            ),
            class: h!(concat!("xlate_fclass_", $s), h_class::<$F>, false),
            to_w: h!(
                concat!("xlate_fcvt_w_", $s),
                h_to_int::<$F, true, false>,
                true
            ),
            to_wu: h!(
                concat!("xlate_fcvt_wu_", $s),
                h_to_int::<$F, false, false>,
                true
            ),
            to_l: h!(
                concat!("xlate_fcvt_l_", $s),
                h_to_int::<$F, true, true>,
                true
            ),
            to_lu: h!(
                concat!("xlate_fcvt_lu_", $s),
                h_to_int::<$F, false, true>,
                true
            ),
            from_w: h!(
                concat!("xlate_fcvt_", $s, "_w"),
                h_from_int::<$F, true, false>,
                true
            ),
            from_wu: h!(
                concat!("xlate_fcvt_", $s, "_wu"),
                h_from_int::<$F, false, false>,
                true
            ),
            from_l: h!(
                concat!("xlate_fcvt_", $s, "_l"),
                h_from_int::<$F, true, true>,
                true
            ),
            from_lu: h!(
                concat!("xlate_fcvt_", $s, "_lu"),
                h_from_int::<$F, false, true>,
                true
            ),
        }
    };
}

/// Helpers of the F extension (single precision).
pub static SINGLE: FpHelpers = helpers!(F32, "s", false);
/// Helpers of the D extension (double precision).
pub static DOUBLE: FpHelpers = helpers!(F64, "d", true);
/// `fcvt.s.d`: `(a, rm, _)`.
pub static FCVT_S_D: Helper = h!("xlate_fcvt_s_d", h_cvt_s_d, true);
/// `fcvt.d.s`: `(a, rm, _)`; `rm` is only checked for validity.
pub static FCVT_D_S: Helper = h!("xlate_fcvt_d_s", h_cvt_d_s, true);

impl FpHelpers {
    fn all(&'static self) -> impl Iterator<Item = &'static Helper> {
        [
            &self.add,
            &self.sub,
            &self.mul,
            &self.div,
            &self.sqrt,
            &self.min,
            &self.max,
            &self.eq,
            &self.lt,
            &self.le,
            &self.class,
            &self.to_w,
            &self.to_wu,
            &self.to_l,
            &self.to_lu,
            &self.from_w,
            &self.from_wu,
            &self.from_l,
            &self.from_lu,
        ]
        .into_iter()
        .chain(self.fma.iter())
    }
}

/// Every floating-point helper (for engines that register helper symbols by name).
pub fn all_helpers() -> impl Iterator<Item = &'static Helper> {
    SINGLE
        .all()
        .chain(DOUBLE.all())
        .chain([&FCVT_S_D, &FCVT_D_S])
}
