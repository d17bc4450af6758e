//! Host fast paths for round-to-nearest-even arithmetic, each provably equal (value and fflags)
//! to the reference semantics in [`super::soft`], returning `None` whenever it cannot prove it.
//!
//! The host's IEEE 754 operations in the default environment (round to nearest even; Rust never
//! changes it) give the correctly rounded value. What needs care is the flags:
//! * NV/DZ/OF/UF can only arise with NaN or infinite inputs or results, zero divisors, or tiny
//!   results. Every fast path checks exponent fields so that none of these can happen (a finite
//!   result in RNE means no overflow; a result of magnitude >= 2^(emin+1) after rounding is not
//!   tiny even with after-rounding detection), and otherwise returns `None`.
//! * NX is sticky: when `fflags` already holds NX there is nothing to compute. Otherwise an
//!   error-free transformation decides exactness: TwoSum for addition, the FMA residual
//!   `a*b - r` for multiplication, `a - r*b` for division and `a - r*r` for square root, each
//!   exact (representable, so computed without rounding) when no operand or result is near the
//!   underflow threshold, which the exponent checks ensure (magnitudes >= 2^-960 for binary64).
//!   Single precision checks its products in binary64, where a product of two 24-bit
//!   significands is always exact.
//! * FMA has no cheap exactness test; its fast path is taken only once NX is already set.
//!
//! `f64::mul_add`/`f32::mul_add` are correctly rounded fused operations (a hardware FMA, or
//! libm's `fma`/`fmaf`, which are exact-then-rounded).

use super::NX;

#[inline(always)]
fn e64(x: f64) -> u64 {
    (x.to_bits() >> 52) & 0x7ff
}

#[inline(always)]
fn e32(x: f32) -> u32 {
    (x.to_bits() >> 23) & 0xff
}

#[inline(always)]
fn nx_known(fflags: u64) -> bool {
    fflags & NX as u64 != 0
}

/// Lowest binary64 biased exponent for which the residual tests are exact (2^-960).
const E64_LO: u64 = 63;
/// Highest binary64 biased exponent allowed where residual products could overflow (2^960).
const E64_HI: u64 = 0x7fe - 63;

/// TwoSum (Knuth): the rounding error of `s = a + b`, exact when nothing overflows.
#[inline(always)]
fn two_sum_err64(a: f64, b: f64, s: f64) -> f64 {
    let bb = s - a;
    (a - (s - bb)) + (b - bb)
}

#[inline(always)]
fn two_sum_err32(a: f32, b: f32, s: f32) -> f32 {
    let bb = s - a;
    (a - (s - bb)) + (b - bb)
}

/// `a + b` (also `a - b` as `a + (-b)`, which IEEE defines identically, zero signs included).
#[inline(always)]
pub fn add_d(fflags: &mut u64, a: f64, b: f64) -> Option<f64> {
    let s = a + b;
    // Finite and below 2^1022: no NaN, infinity or overflow, and TwoSum cannot overflow. Sums are
    // exact when subnormal, so addition never underflows.
    if e64(a).max(e64(b)).max(e64(s)) >= 0x7fd {
        return None;
    }
    if !nx_known(*fflags) && two_sum_err64(a, b, s) != 0.0 {
        *fflags |= NX as u64;
    }
    Some(s)
}

#[inline(always)]
pub fn mul_d(fflags: &mut u64, a: f64, b: f64) -> Option<f64> {
    let r = a * b;
    let er = e64(r);
    if (2..0x7ff).contains(&er) {
        if !nx_known(*fflags) {
            if er < E64_LO {
                return None;
            }
            if a.mul_add(b, -r) != 0.0 {
                *fflags |= NX as u64;
            }
        }
        Some(r)
    } else if r == 0.0 && (a == 0.0 || b == 0.0) {
        // An exact zero (0 * inf is NaN, which compares unequal to zero).
        Some(r)
    } else {
        None
    }
}

#[inline(always)]
pub fn div_d(fflags: &mut u64, a: f64, b: f64) -> Option<f64> {
    let r = a / b;
    let er = e64(r);
    if (2..0x7ff).contains(&er) {
        // A normal quotient: a finite non-zero, b finite non-zero.
        if !nx_known(*fflags) {
            let (ea, eb) = (e64(a), e64(b));
            if ea.min(eb).min(er) < E64_LO || ea.max(eb).max(er) > E64_HI {
                return None;
            }
            if (-r).mul_add(b, a) != 0.0 {
                *fflags |= NX as u64;
            }
        }
        Some(r)
    } else if a == 0.0 && b != 0.0 && e64(b) < 0x7ff {
        Some(r)
    } else {
        None
    }
}

#[inline(always)]
pub fn sqrt_d(fflags: &mut u64, a: f64) -> Option<f64> {
    let ea = e64(a);
    if a.is_sign_positive() && (1..0x7ff).contains(&ea) {
        let r = a.sqrt();
        if !nx_known(*fflags) {
            if ea < E64_LO {
                return None;
            }
            if (-r).mul_add(r, a) != 0.0 {
                *fflags |= NX as u64;
            }
        }
        Some(r)
    } else if a == 0.0 {
        Some(a)
    } else {
        None
    }
}

#[inline(always)]
pub fn fma_d(fflags: &mut u64, a: f64, b: f64, c: f64) -> Option<f64> {
    if !nx_known(*fflags) {
        return None;
    }
    let r = a.mul_add(b, c);
    // Normal, not in the lowest binade, finite: no NaN, invalid, overflow or underflow.
    if (2..0x7ff).contains(&e64(r)) {
        Some(r)
    } else {
        None
    }
}

#[inline(always)]
pub fn add_s(fflags: &mut u64, a: f32, b: f32) -> Option<f32> {
    let s = a + b;
    if e32(a).max(e32(b)).max(e32(s)) >= 0xfd {
        return None;
    }
    if !nx_known(*fflags) && two_sum_err32(a, b, s) != 0.0 {
        *fflags |= NX as u64;
    }
    Some(s)
}

#[inline(always)]
pub fn mul_s(fflags: &mut u64, a: f32, b: f32) -> Option<f32> {
    let r = a * b;
    if (2..0xff).contains(&e32(r)) {
        if !nx_known(*fflags) && f64::from(a) * f64::from(b) != f64::from(r) {
            *fflags |= NX as u64;
        }
        Some(r)
    } else if r == 0.0 && (a == 0.0 || b == 0.0) {
        Some(r)
    } else {
        None
    }
}

#[inline(always)]
pub fn div_s(fflags: &mut u64, a: f32, b: f32) -> Option<f32> {
    let r = a / b;
    if (2..0xff).contains(&e32(r)) {
        // r * b is exact in binary64; it equals a exactly iff the quotient is exact.
        if !nx_known(*fflags) && f64::from(r) * f64::from(b) != f64::from(a) {
            *fflags |= NX as u64;
        }
        Some(r)
    } else if a == 0.0 && b != 0.0 && e32(b) < 0xff {
        Some(r)
    } else {
        None
    }
}

#[inline(always)]
pub fn sqrt_s(fflags: &mut u64, a: f32) -> Option<f32> {
    if a.is_sign_positive() && (1..0xff).contains(&e32(a)) {
        let r = a.sqrt();
        if !nx_known(*fflags) && f64::from(r) * f64::from(r) != f64::from(a) {
            *fflags |= NX as u64;
        }
        Some(r)
    } else if a == 0.0 {
        Some(a)
    } else {
        None
    }
}

#[inline(always)]
pub fn fma_s(fflags: &mut u64, a: f32, b: f32, c: f32) -> Option<f32> {
    let r = a.mul_add(b, c);
    if !(2..0xff).contains(&e32(r)) {
        return None;
    }
    if !nx_known(*fflags) {
        // a*b is exact in binary64; TwoSum gives p + c = s + err exactly. If err != 0 the exact
        // value is not even a binary64 number, so the single result is inexact.
        let p = f64::from(a) * f64::from(b);
        let cc = f64::from(c);
        let s = p + cc;
        if two_sum_err64(p, cc, s) != 0.0 || s != f64::from(r) {
            *fflags |= NX as u64;
        }
    }
    Some(r)
}

/// `fcvt.s.d` in RNE.
#[inline(always)]
pub fn cvt_s_d(fflags: &mut u64, a: f64) -> Option<f32> {
    let r = a as f32;
    if !(2..0xff).contains(&e32(r)) {
        return None;
    }
    if !nx_known(*fflags) && f64::from(r) != a {
        *fflags |= NX as u64;
    }
    Some(r)
}
