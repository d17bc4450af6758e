//! Reference floating-point semantics on raw bit patterns (RISC-V Unprivileged ISA 20191213,
//! chapters 11 and 12, i.e. IEEE 754-2008 with the RISC-V choices): the slow path every fast
//! path falls back to, and the oracle the fast paths are tested against.
//!
//! Arithmetic rounds through `rustc_apfloat` (LLVM's APFloat), with four corrections for RISC-V:
//! * NaN inputs are handled here, before apfloat sees them: any NaN result is the canonical NaN
//!   and NV is raised for signaling inputs (and for `fma(inf, 0, qNaN)`, which RISC-V makes
//!   invalid whatever the addend).
//! * Tininess is detected *after* rounding on RISC-V. apfloat only reports underflow when the
//!   rounded result is subnormal or zero, so it misses the results that round up to the smallest
//!   normal number although the value rounded to the destination precision with an unbounded
//!   exponent range is still below it. For those rare results the operation is redone in a
//!   format with the same precision and a 15-bit exponent (`WideS`/`WideD`), which is exactly
//!   "rounded with unbounded exponent range".
//! * apfloat reports an overflow that a directed rounding turns into the largest finite number
//!   as inexact only; IEEE 754 raises overflow there too. The same wide recomputation decides.
//! * apfloat has no square root: [`sqrt`] is an exact integer square root plus rounding.
//!
//! Conversions to integers and the bitwise operations (compare, min/max, class) are written out
//! here directly; they need no arbitrary-precision arithmetic.

use rustc_apfloat::ieee::{DoubleS, IeeeFloat, Semantics, SingleS};
use rustc_apfloat::{Float, FloatConvert, Round, Status, StatusAnd};

use super::{Rm, DZ, NV, NX, OF, UF};

/// Single precision with a 15-bit exponent: rounding here is rounding to 24 bits with an
/// (effectively) unbounded exponent range for every value an F instruction can produce.
pub struct WideS;
impl Semantics for WideS {
    const BITS: usize = 39;
    const EXP_BITS: usize = 15;
}

/// Double precision with a 15-bit exponent (see [`WideS`]).
pub struct WideD;
impl Semantics for WideD {
    const BITS: usize = 68;
    const EXP_BITS: usize = 15;
}

/// An IEEE binary format as RISC-V uses it: single (`F32`) or double (`F64`), values carried as
/// the raw bits in the low `BITS` bits of a `u64` (single values already un-NaN-boxed).
pub trait Fmt {
    /// The apfloat semantics of the format.
    type S: Semantics;
    /// Same precision, wide exponent (for after-rounding tininess).
    type W: Semantics;
    const BITS: u32;
    /// Stored fraction bits (23 / 52).
    const MBITS: u32;
    /// The canonical NaN.
    const CANON: u64;

    const EBITS: u32 = Self::BITS - 1 - Self::MBITS;
    const SIGN: u64 = 1 << (Self::BITS - 1);
    const EXP_MASK: u64 = ((1 << Self::EBITS) - 1) << Self::MBITS;
    const FRAC_MASK: u64 = (1 << Self::MBITS) - 1;
    const QUIET: u64 = 1 << (Self::MBITS - 1);
    const BIAS: i32 = (1 << (Self::EBITS - 1)) - 1;
    /// Bit pattern of the smallest positive normal number.
    const MIN_NORMAL: u64 = 1 << Self::MBITS;

    /// The value as a host `f64` (exact for every non-NaN value of both formats).
    fn host(x: u64) -> f64;
}

/// IEEE binary32.
pub struct F32;
impl Fmt for F32 {
    type S = SingleS;
    type W = WideS;
    const BITS: u32 = 32;
    const MBITS: u32 = 23;
    const CANON: u64 = 0x7fc0_0000;
    fn host(x: u64) -> f64 {
        f64::from(f32::from_bits(x as u32))
    }
}

/// IEEE binary64.
pub struct F64;
impl Fmt for F64 {
    type S = DoubleS;
    type W = WideD;
    const BITS: u32 = 64;
    const MBITS: u32 = 52;
    const CANON: u64 = 0x7ff8_0000_0000_0000;
    fn host(x: u64) -> f64 {
        f64::from_bits(x)
    }
}

fn mag<F: Fmt>(x: u64) -> u64 {
    x & !F::SIGN
}
pub fn is_nan<F: Fmt>(x: u64) -> bool {
    mag::<F>(x) > F::EXP_MASK
}
pub fn is_snan<F: Fmt>(x: u64) -> bool {
    is_nan::<F>(x) && x & F::QUIET == 0
}
pub fn is_inf<F: Fmt>(x: u64) -> bool {
    mag::<F>(x) == F::EXP_MASK
}
pub fn is_zero<F: Fmt>(x: u64) -> bool {
    mag::<F>(x) == 0
}
fn is_neg<F: Fmt>(x: u64) -> bool {
    x & F::SIGN != 0
}

/// RISC-V `fflags` bits of an apfloat status.
pub fn status_flags(s: Status) -> u8 {
    let mut f = 0;
    if s.contains(Status::INVALID_OP) {
        f |= NV;
    }
    if s.contains(Status::DIV_BY_ZERO) {
        f |= DZ;
    }
    if s.contains(Status::OVERFLOW) {
        f |= OF;
    }
    if s.contains(Status::UNDERFLOW) {
        f |= UF;
    }
    if s.contains(Status::INEXACT) {
        f |= NX;
    }
    f
}

fn round_of(rm: Rm) -> Round {
    match rm {
        Rm::Rne => Round::NearestTiesToEven,
        Rm::Rtz => Round::TowardZero,
        Rm::Rdn => Round::TowardNegative,
        Rm::Rup => Round::TowardPositive,
        Rm::Rmm => Round::NearestTiesToAway,
    }
}

/// Arithmetic operations that round through apfloat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    /// `a * b + c` with a single rounding.
    Fma,
}

fn compute<S: Semantics>(
    op: Op,
    a: IeeeFloat<S>,
    b: IeeeFloat<S>,
    c: IeeeFloat<S>,
    r: Round,
) -> StatusAnd<IeeeFloat<S>> {
    match op {
        Op::Add => a.add_r(b, r),
        Op::Sub => a.sub_r(b, r),
        Op::Mul => a.mul_r(b, r),
        Op::Div => a.div_r(b, r),
        Op::Fma => a.mul_add_r(b, c, r),
    }
}

/// Exact widening to a format with the same or more precision and exponent range.
fn widen<S: Semantics, T: Semantics>(x: IeeeFloat<S>) -> IeeeFloat<T> {
    let mut loses = false;
    let r: StatusAnd<IeeeFloat<T>> = x.convert_r(Round::NearestTiesToEven, &mut loses);
    r.value
}

fn from_bits<S: Semantics>(x: u64) -> IeeeFloat<S> {
    IeeeFloat::<S>::from_bits(u128::from(x))
}

/// Whether `w` (an exact-precision result with unbounded exponent) is below the smallest normal
/// number of `S` in magnitude.
fn below_min_normal<S: Semantics, W: Semantics>(w: IeeeFloat<W>) -> bool {
    let min: IeeeFloat<W> = widen(IeeeFloat::<S>::smallest_normalized());
    w.abs().partial_cmp(&min) == Some(std::cmp::Ordering::Less)
}

/// `op(a, b[, c])` in format `F` with rounding mode `rm`: (result bits, fflags).
pub fn arith<F: Fmt>(op: Op, a: u64, b: u64, c: u64, rm: Rm) -> (u64, u8) {
    let fma = op == Op::Fma;
    if fma && ((is_inf::<F>(a) && is_zero::<F>(b)) || (is_zero::<F>(a) && is_inf::<F>(b))) {
        return (F::CANON, NV);
    }
    if is_nan::<F>(a) || is_nan::<F>(b) || (fma && is_nan::<F>(c)) {
        let snan = is_snan::<F>(a) || is_snan::<F>(b) || (fma && is_snan::<F>(c));
        return (F::CANON, if snan { NV } else { 0 });
    }
    let round = round_of(rm);
    let (x, y, z) = (
        from_bits::<F::S>(a),
        from_bits::<F::S>(b),
        from_bits::<F::S>(if fma { c } else { 0 }),
    );
    let StatusAnd { status, value } = compute(op, x, y, z, round);
    let mut fl = status_flags(status);
    if value.is_nan() {
        // inf - inf, 0 * inf, 0 / 0, inf / inf: apfloat reports the invalid operation.
        return (F::CANON, fl | NV);
    }
    let bits = value.to_bits() as u64;
    fl |= range_fix::<F>(bits, fl, || {
        compute(
            op,
            widen::<F::S, F::W>(x),
            widen::<F::S, F::W>(y),
            widen::<F::S, F::W>(z),
            round,
        )
        .value
    });
    (bits, fl)
}

/// The flags apfloat misses, decided by rounding again with an unbounded exponent range
/// (`wide` computes that); only called for the two boundary results where they can differ.
/// * Underflow: a result rounded up to the smallest normal is still tiny after rounding when
///   the value rounded to this precision with unbounded exponent is below it.
/// * Overflow: a directed rounding that overflows towards zero gives the largest finite number,
///   for which apfloat (like LLVM's APFloat) reports only inexact; IEEE 754 and RISC-V raise
///   overflow whenever the unbounded-exponent result exceeds the largest finite number.
fn range_fix<F: Fmt>(bits: u64, fl: u8, wide: impl FnOnce() -> IeeeFloat<F::W>) -> u8 {
    if fl & NX == 0 {
        return 0;
    }
    let m = mag::<F>(bits);
    if m == F::MIN_NORMAL && fl & UF == 0 {
        // Rounded up to the smallest normal: tiny after rounding unless the value rounded to
        // this precision with unbounded exponent is already the smallest normal.
        if below_min_normal::<F::S, F::W>(wide()) {
            return UF;
        }
    } else if m == F::EXP_MASK - 1 && fl & OF == 0 {
        let max: IeeeFloat<F::W> = widen(IeeeFloat::<F::S>::largest());
        if wide().abs().partial_cmp(&max) == Some(std::cmp::Ordering::Greater) {
            return OF;
        }
    }
    0
}

/// `fcvt.s.d`: double bits to single bits (not boxed).
pub fn cvt_s_d(a: u64, rm: Rm) -> (u64, u8) {
    if is_nan::<F64>(a) {
        return (F32::CANON, if is_snan::<F64>(a) { NV } else { 0 });
    }
    let round = round_of(rm);
    let x = from_bits::<DoubleS>(a);
    let mut loses = false;
    let StatusAnd { status, value }: StatusAnd<IeeeFloat<SingleS>> = x.convert_r(round, &mut loses);
    let mut fl = status_flags(status);
    if loses {
        fl |= NX;
    }
    let bits = value.to_bits() as u64;
    fl |= range_fix::<F32>(bits, fl, || {
        let mut l = false;
        let w: StatusAnd<IeeeFloat<WideS>> = x.convert_r(round, &mut l);
        w.value
    });
    (bits, fl)
}

/// `fcvt.d.s`: single bits (not boxed) to double bits; always exact.
pub fn cvt_d_s(a: u64) -> (u64, u8) {
    if is_nan::<F32>(a) {
        return (F64::CANON, if is_snan::<F32>(a) { NV } else { 0 });
    }
    (F32::host(a).to_bits(), 0)
}

/// Rounds the magnitude `sig`, of which the low `extra` bits (`extra >= 1` whenever `sticky`)
/// are below the last kept bit and `sticky` stands for further non-zero bits below those.
/// Returns the rounded kept bits and whether anything was lost.
pub fn round_mag(sig: u128, extra: u32, sticky: bool, neg: bool, rm: Rm) -> (u128, bool) {
    if extra == 0 {
        return (sig, sticky);
    }
    let keep = sig >> extra;
    let rem = sig & ((1u128 << extra) - 1);
    let half = 1u128 << (extra - 1);
    let inexact = rem != 0 || sticky;
    let up = match rm {
        Rm::Rne => rem > half || (rem == half && (sticky || keep & 1 == 1)),
        Rm::Rmm => rem >= half,
        Rm::Rtz => false,
        Rm::Rdn => neg && inexact,
        Rm::Rup => !neg && inexact,
    };
    (keep + u128::from(up), inexact)
}

/// Square root, correctly rounded in every mode (`fsqrt.s` / `fsqrt.d`).
pub fn sqrt<F: Fmt>(a: u64, rm: Rm) -> (u64, u8) {
    if is_nan::<F>(a) {
        return (F::CANON, if is_snan::<F>(a) { NV } else { 0 });
    }
    if is_zero::<F>(a) {
        return (a, 0);
    }
    if is_neg::<F>(a) {
        return (F::CANON, NV);
    }
    if is_inf::<F>(a) {
        return (a, 0);
    }
    // a = m * 2^e with m an integer.
    let expf = ((a & F::EXP_MASK) >> F::MBITS) as i32;
    let frac = a & F::FRAC_MASK;
    let (mut m, mut e) = if expf == 0 {
        (frac, 1 - F::BIAS - F::MBITS as i32)
    } else {
        (frac | 1 << F::MBITS, expf - F::BIAS - F::MBITS as i32)
    };
    // Normalise so the leading bit is at position MBITS, then make e even.
    let lz = m.leading_zeros() as i32 - (63 - F::MBITS as i32);
    m <<= lz;
    e -= lz;
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // floor(sqrt(m * 2^(2k))) has at least p + 2 bits (p = MBITS + 1).
    let k = F::MBITS / 2 + 4;
    let n = u128::from(m) << (2 * k);
    let s = n.isqrt();
    let sticky = s * s != n;
    let len = 128 - s.leading_zeros();
    let extra = len - (F::MBITS + 1);
    let (mut sig, inexact) = round_mag(s, extra, sticky, false, rm);
    // Result value: sig * 2^(e/2 - k + extra).
    let mut rexp = e / 2 - k as i32 + extra as i32;
    if sig >> (F::MBITS + 1) != 0 {
        sig >>= 1;
        rexp += 1;
    }
    // The square root of any finite positive value of the format is a normal number.
    let biased = (rexp + F::MBITS as i32 + F::BIAS) as u64;
    let bits = biased << F::MBITS | (sig as u64 & F::FRAC_MASK);
    (bits, if inexact { NX } else { 0 })
}

/// Float to integer (`fcvt.{w,wu,l,lu}.{s,d}`): `signed`, and 64-bit (`wide`) or 32-bit
/// destination. Returns the register value (32-bit results sign-extended) and fflags.
/// Invalid cases (NaN, infinities, out of range after rounding) saturate and raise NV only.
pub fn to_int<F: Fmt>(a: u64, rm: Rm, signed: bool, wide: bool) -> (u64, u8) {
    let n = if wide { 64 } else { 32 };
    let (max, min): (i128, i128) = if signed {
        ((1i128 << (n - 1)) - 1, -(1i128 << (n - 1)))
    } else {
        ((1i128 << n) - 1, 0)
    };
    let out = |v: i128| -> u64 {
        if wide {
            v as u64
        } else {
            v as i32 as i64 as u64
        }
    };
    let neg = is_neg::<F>(a);
    if is_nan::<F>(a) {
        return (out(max), NV);
    }
    if is_inf::<F>(a) {
        return (out(if neg { min } else { max }), NV);
    }
    let expf = ((a & F::EXP_MASK) >> F::MBITS) as i32;
    let frac = a & F::FRAC_MASK;
    let (m, e) = if expf == 0 {
        (frac, 1 - F::BIAS - F::MBITS as i32)
    } else {
        (frac | 1 << F::MBITS, expf - F::BIAS - F::MBITS as i32)
    };
    let (r, inexact) = if m == 0 {
        (0u128, false)
    } else if e >= 0 {
        if e > 70 {
            (u128::MAX, false)
        } else {
            (u128::from(m) << e, false)
        }
    } else if -e > 64 {
        // |a| < 2^53 * 2^-65 < 1/2: rounds to 0 or (directed away from zero) to 1.
        round_mag(1, 2, false, neg, rm)
    } else {
        round_mag(u128::from(m), (-e) as u32, false, neg, rm)
    };
    if neg {
        if r > min.unsigned_abs() {
            return (out(min), NV);
        }
        let v = -(r as i128);
        (out(v), if inexact { NX } else { 0 })
    } else {
        if r > max as u128 {
            return (out(max), NV);
        }
        (out(r as i128), if inexact { NX } else { 0 })
    }
}

/// Integer to float (`fcvt.{s,d}.{w,wu,l,lu}`): `x` is the integer already sign- or
/// zero-extended to 128 bits. Never overflows or underflows.
pub fn from_int<F: Fmt>(x: i128, rm: Rm) -> (u64, u8) {
    let r: StatusAnd<IeeeFloat<F::S>> = IeeeFloat::<F::S>::from_i128_r(x, round_of(rm));
    (r.value.to_bits() as u64, status_flags(r.status))
}

/// `fmin`/`fmax` (IEEE 754-2019 minimumNumber / maximumNumber, F extension 2.2).
pub fn min_max<F: Fmt>(a: u64, b: u64, max: bool) -> (u64, u8) {
    let nv = if is_snan::<F>(a) || is_snan::<F>(b) {
        NV
    } else {
        0
    };
    let r = match (is_nan::<F>(a), is_nan::<F>(b)) {
        (true, true) => F::CANON,
        (true, false) => b,
        (false, true) => a,
        (false, false) => {
            let (x, y) = (F::host(a), F::host(b));
            if x == y {
                // Equal values differ at most in the sign of zero: -0 < +0.
                if max == is_neg::<F>(a) {
                    b
                } else {
                    a
                }
            } else if (x < y) != max {
                a
            } else {
                b
            }
        }
    };
    (r, nv)
}

/// Comparisons (`feq`, `flt`, `fle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Lt,
    Le,
}

/// `feq` is quiet (NV only for signaling NaNs); `flt`/`fle` are signaling (NV for any NaN).
pub fn compare<F: Fmt>(a: u64, b: u64, op: CmpOp) -> (u64, u8) {
    if is_nan::<F>(a) || is_nan::<F>(b) {
        let nv = op != CmpOp::Eq || is_snan::<F>(a) || is_snan::<F>(b);
        return (0, if nv { NV } else { 0 });
    }
    let (x, y) = (F::host(a), F::host(b));
    let r = match op {
        CmpOp::Eq => x == y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
    };
    (u64::from(r), 0)
}

/// `fclass`: the 10-bit one-hot class mask.
pub fn classify<F: Fmt>(a: u64) -> u64 {
    let neg = is_neg::<F>(a);
    let expf = a & F::EXP_MASK;
    let frac = a & F::FRAC_MASK;
    let bit = if is_nan::<F>(a) {
        if is_snan::<F>(a) {
            8
        } else {
            9
        }
    } else if is_inf::<F>(a) {
        if neg {
            0
        } else {
            7
        }
    } else if expf == 0 && frac == 0 {
        if neg {
            3
        } else {
            4
        }
    } else if expf == 0 {
        if neg {
            2
        } else {
            5
        }
    } else if neg {
        1
    } else {
        6
    };
    1 << bit
}
