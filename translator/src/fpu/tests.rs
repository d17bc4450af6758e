//! Randomized cross-checks: the RNE fast paths against the reference semantics (bit-for-bit,
//! flags included), the reference against the host where both are IEEE round-to-nearest, square
//! root and integer conversions against independent formulations.

use rustc_apfloat::ieee::Quad;
use rustc_apfloat::Float;

use super::soft::{self, Fmt};
use super::*;

/// xorshift64*, fixed seed: the same operands on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An operand of format `F` with an interesting exponent: zero/subnormal, the lowest binades,
/// the fast-path thresholds, around 1, near overflow, infinities and NaNs, or anything.
fn operand<F: Fmt>(r: &mut Rng) -> u64 {
    let emax = (1u64 << F::EBITS) - 1;
    let bias = F::BIAS as u64;
    let exp = match r.below(16) {
        0 => 0,
        1 => 1 + r.below(3),
        2 => emax,
        3 => emax - 1 - r.below(3),
        4 | 5 => bias - 3 + r.below(7),
        6 => 60 + r.below(8).min(emax - 61),
        7 => emax.saturating_sub(66) + r.below(6),
        8 => bias / 2 + r.below(8),
        9 => bias + bias / 2 + r.below(8),
        _ => 1 + r.below(emax - 1),
    };
    let frac = match r.below(5) {
        0 => 0,
        1 => F::FRAC_MASK,
        2 => r.next() & r.next() & r.next() & F::FRAC_MASK,
        3 => (F::FRAC_MASK >> r.below(u64::from(F::MBITS))) ^ (r.next() & 3),
        _ => r.next() & F::FRAC_MASK,
    };
    let sign = if r.next() & 1 != 0 { F::SIGN } else { 0 };
    sign | exp << F::MBITS | (frac & F::FRAC_MASK)
}

/// A second operand: independent, or close to the first (cancellation, exact quotients).
fn operand2<F: Fmt>(r: &mut Rng, a: u64) -> u64 {
    match r.below(8) {
        0 => a ^ (r.next() & 0xff),
        1 => (a ^ F::SIGN) ^ (r.next() & 0xf),
        2 => a & !F::FRAC_MASK | (r.next() & 0x7),
        _ => operand::<F>(r),
    }
}

fn host_arith<F: Fmt>(op: Op, a: u64, b: u64, c: u64) -> u64 {
    if F::BITS == 64 {
        let (x, y, z) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
        let r = match op {
            Op::Add => x + y,
            Op::Sub => x - y,
            Op::Mul => x * y,
            Op::Div => x / y,
            Op::Fma => x.mul_add(y, z),
        };
        if r.is_nan() {
            F::CANON
        } else {
            r.to_bits()
        }
    } else {
        let (x, y, z) = (
            f32::from_bits(a as u32),
            f32::from_bits(b as u32),
            f32::from_bits(c as u32),
        );
        let r = match op {
            Op::Add => x + y,
            Op::Sub => x - y,
            Op::Mul => x * y,
            Op::Div => x / y,
            Op::Fma => x.mul_add(y, z),
        };
        if r.is_nan() {
            F::CANON
        } else {
            u64::from(r.to_bits())
        }
    }
}

fn cross_check_arith<F: Prec>(seed: u64, n: usize) {
    let mut r = Rng(seed);
    for op in [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Fma] {
        let mut fast_taken = [0usize; 2];
        for _ in 0..n {
            let a = operand::<F>(&mut r);
            let b = operand2::<F>(&mut r, a);
            let c = if r.below(2) == 0 {
                operand::<F>(&mut r)
            } else {
                // An addend that cancels most of the product.
                let p = host_arith::<F>(Op::Mul, a, b, 0);
                (p ^ F::SIGN) ^ (r.next() & 0x3)
            };
            let (want, wfl) = soft::arith::<F>(op, a, b, c, Rm::Rne);
            // The reference agrees with the host's round-to-nearest value.
            assert_eq!(
                want,
                host_arith::<F>(op, a, b, c),
                "{op:?} {a:#x} {b:#x} {c:#x}"
            );
            for (k, pre) in [0u64, u64::from(NX)].into_iter().enumerate() {
                let mut fl = pre;
                if let Some(got) = F::fast(&mut fl, op, a, b, c) {
                    fast_taken[k] += 1;
                    assert_eq!(
                        (got, fl),
                        (want, pre | u64::from(wfl)),
                        "fast {op:?} {a:#x} {b:#x} {c:#x} pre {pre}"
                    );
                }
                let mut fl = pre;
                let got = arith::<F>(&mut fl, op, a, b, c, Rm::Rne);
                assert_eq!((got, fl), (want, pre | u64::from(wfl)));
            }
        }
        // The fast paths must actually be exercised (and, once NX is known, most of the time).
        assert!(fast_taken[1] > n / 3, "{op:?} fast {fast_taken:?} of {n}");
        if op != Op::Fma {
            assert!(fast_taken[0] > n / 4, "{op:?} fast {fast_taken:?} of {n}");
        }
    }
}

#[test]
fn fast_paths_match_reference_double() {
    cross_check_arith::<F64>(0x9e37_79b9_7f4a_7c15, 40_000);
}

#[test]
fn fast_paths_match_reference_single() {
    cross_check_arith::<F32>(0x2545_f491_4f6c_dd1d, 40_000);
}

/// `x * y` exactly, for binary64 operands (106-bit products fit Quad's 113 bits).
fn quad_sq(x: u64) -> Quad {
    let mut l = false;
    let q: Quad = soft_to_quad(x, &mut l);
    (q * q).value
}

fn soft_to_quad(x: u64, l: &mut bool) -> Quad {
    use rustc_apfloat::ieee::Double;
    use rustc_apfloat::FloatConvert;
    Double::from_bits(u128::from(x)).convert(l).value
}

#[inline(never)]
fn host_sqrt<F: Fmt>(a: u64) -> u64 {
    if F::BITS == 64 {
        let v = f64::from_bits(a).sqrt();
        if v.is_nan() {
            F::CANON
        } else {
            v.to_bits()
        }
    } else {
        let v = f32::from_bits(a as u32).sqrt();
        if v.is_nan() {
            F::CANON
        } else {
            u64::from(v.to_bits())
        }
    }
}

fn sqrt_check<F: Prec>(seed: u64, n: usize) {
    let mut r = Rng(seed);
    let mut fast_taken = 0;
    for _ in 0..n {
        let a = operand::<F>(&mut r);
        let (want, wfl) = soft::sqrt::<F>(a, Rm::Rne);
        let host = host_sqrt::<F>(a);
        assert_eq!(want, host, "sqrt {a:#x}");
        for pre in [0u64, u64::from(NX)] {
            let mut fl = pre;
            if let Some(got) = F::fast_sqrt(&mut fl, a) {
                fast_taken += 1;
                assert_eq!((got, fl), (want, pre | u64::from(wfl)), "sqrt {a:#x}");
            }
        }
        // Directed modes bracket the exact root: dn^2 <= a <= up^2, adjacent when inexact.
        if a & F::SIGN == 0 && !soft::is_nan::<F>(a) && !soft::is_inf::<F>(a) {
            let res: Vec<(u64, u8)> = Rm::ALL.iter().map(|&m| soft::sqrt::<F>(a, m)).collect();
            let (dn, up) = (res[2].0, res[3].0);
            assert_eq!(res[1].0, dn, "rtz == rdn for positive roots");
            if wfl == 0 {
                assert!(res.iter().all(|&(v, f)| v == want && f == 0), "{a:#x}");
            } else {
                assert!(res.iter().all(|&(_, f)| f == NX));
                assert_eq!(up, dn + 1, "{a:#x}");
                assert!(want == dn || want == up);
                assert!(res[4].0 == dn || res[4].0 == up);
                let (d2, u2, av) = if F::BITS == 64 {
                    let mut l = false;
                    (quad_sq(dn), quad_sq(up), soft_to_quad(a, &mut l))
                } else {
                    let w = |x: u64| F32::host(x).to_bits();
                    let mut l = false;
                    (quad_sq(w(dn)), quad_sq(w(up)), soft_to_quad(w(a), &mut l))
                };
                assert!(d2 < av && av < u2, "{a:#x}");
            }
        }
    }
    assert!(fast_taken > n / 2);
}

#[test]
fn sqrt_matches_host_and_brackets() {
    sqrt_check::<F64>(12345, 30_000);
    sqrt_check::<F32>(67890, 30_000);
}

/// Independent formulation of float -> integer: round with the host, then range-check.
fn to_int_model(x: f64, rm: Rm, signed: bool, wide: bool) -> (u64, u8) {
    let bits = if wide { 64 } else { 32 };
    // Exclusive upper limit and inclusive lower limit, both exact in binary64.
    let lim = 2f64.powi(if signed { bits - 1 } else { bits });
    let min = if signed { -lim } else { 0.0 };
    let fin = |v: i128| -> u64 {
        if wide {
            v as u64
        } else {
            v as i32 as i64 as u64
        }
    };
    let max = (1i128 << (if signed { bits - 1 } else { bits })) - 1;
    if x.is_nan() {
        return (fin(max), NV);
    }
    let rounded = match rm {
        Rm::Rne => x.round_ties_even(),
        Rm::Rtz => x.trunc(),
        Rm::Rdn => x.floor(),
        Rm::Rup => x.ceil(),
        Rm::Rmm => x.round(),
    };
    if rounded < min {
        return (fin(min as i128), NV);
    }
    if rounded >= lim {
        return (fin(max), NV);
    }
    (fin(rounded as i128), if rounded != x { NX } else { 0 })
}

#[test]
fn to_int_matches_model() {
    let mut r = Rng(4242);
    for _ in 0..20_000 {
        let a = operand::<F64>(&mut r);
        // Also values near the integer-range limits.
        let a = match r.below(4) {
            0 => {
                let e = [31u64, 32, 63, 64][r.below(4) as usize];
                let v = (2f64.powi(e as i32)).to_bits() as i64 + (r.below(9) as i64 - 4);
                v as u64 | (r.next() & 1) << 63
            }
            1 => (r.below(16) as f64 / 4.0 - 2.0).to_bits(),
            _ => a,
        };
        let x = f64::from_bits(a);
        for rm in Rm::ALL {
            for (signed, wide) in [(true, false), (false, false), (true, true), (false, true)] {
                let got = soft::to_int::<F64>(a, rm, signed, wide);
                assert_eq!(
                    got,
                    to_int_model(x, rm, signed, wide),
                    "{x:e} {rm:?} signed {signed} wide {wide}"
                );
                // Single precision: every single is a double; same model.
                let s = (x as f32).to_bits();
                let got = soft::to_int::<F32>(u64::from(s), rm, signed, wide);
                let xs = f64::from(f32::from_bits(s));
                assert_eq!(got, to_int_model(xs, rm, signed, wide), "{xs:e} {rm:?}");
            }
        }
    }
}

#[test]
fn conversions_fast_match_reference() {
    let mut r = Rng(777);
    for _ in 0..40_000 {
        let a = operand::<F64>(&mut r);
        let (want, wfl) = soft::cvt_s_d(a, Rm::Rne);
        let host = f64::from_bits(a) as f32;
        if !host.is_nan() {
            assert_eq!(want, u64::from(host.to_bits()), "{a:#x}");
        }
        for pre in [0u64, u64::from(NX)] {
            let mut fl = pre;
            if let Some(got) = fast::cvt_s_d(&mut fl, f64::from_bits(a)) {
                assert_eq!(
                    (u64::from(got.to_bits()), fl),
                    (want, pre | u64::from(wfl)),
                    "{a:#x}"
                );
            }
        }
        // Integers: RNE host conversion against apfloat.
        let x = match r.below(3) {
            0 => r.next(),
            1 => r.next() >> r.below(64),
            _ => (r.next() >> r.below(64)).wrapping_neg(),
        };
        for (signed, wide) in [(true, false), (false, false), (true, true), (false, true)] {
            let v: i128 = match (signed, wide) {
                (true, true) => i128::from(x as i64),
                (true, false) => i128::from(x as i32),
                (false, true) => i128::from(x),
                (false, false) => i128::from(x as u32),
            };
            let mut fl = 0;
            let got = from_int::<F64>(&mut fl, x, signed, wide, Rm::Rne);
            let (w, f) = soft::from_int::<F64>(v, Rm::Rne);
            assert_eq!((got, fl), (w, u64::from(f)), "{x:#x}");
            let mut fl = 0;
            let got = from_int::<F32>(&mut fl, x, signed, wide, Rm::Rne);
            let (w, f) = soft::from_int::<F32>(v, Rm::Rne);
            assert_eq!((got, fl), (w, u64::from(f)), "{x:#x}");
        }
    }
}

#[test]
fn round_mag_cases() {
    // 0b1011 with 2 extra bits: keep 0b10, rem 0b11 > half.
    assert_eq!(
        soft::round_mag(0b1011, 2, false, false, Rm::Rne),
        (0b11, true)
    );
    // Exact tie, even keep: stays; odd keep: rounds up.
    assert_eq!(
        soft::round_mag(0b1010, 2, false, false, Rm::Rne),
        (0b10, true)
    );
    assert_eq!(
        soft::round_mag(0b1110, 2, false, false, Rm::Rne),
        (0b100, true)
    );
    // A tie with sticky bits is above half.
    assert_eq!(
        soft::round_mag(0b1010, 2, true, false, Rm::Rne),
        (0b11, true)
    );
    assert_eq!(
        soft::round_mag(0b1010, 2, false, false, Rm::Rmm),
        (0b11, true)
    );
    assert_eq!(
        soft::round_mag(0b1001, 2, false, true, Rm::Rdn),
        (0b11, true)
    );
    assert_eq!(
        soft::round_mag(0b1001, 2, false, true, Rm::Rup),
        (0b10, true)
    );
    assert_eq!(
        soft::round_mag(0b1000, 2, false, false, Rm::Rup),
        (0b10, false)
    );
}
