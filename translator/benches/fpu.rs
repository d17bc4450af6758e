//! Micro-benchmark of the floating-point helpers: the RNE fast paths (with NX already set, and
//! with NX clear so exactness is computed) against the apfloat-based reference path.
//! Run with `cargo bench -p translator --bench fpu`; prints ns per operation (no assertions).

use std::hint::black_box;
use std::time::Instant;

use translator::fpu::{self, soft, Op, Rm, F32, F64};

const N: usize = 1024;

fn operands() -> Vec<(u64, u64, u64)> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    // Positive values in [1, 1024): the kind of magnitudes an n-body step sees.
    let mut v = || (1.0 + (next() >> 11) as f64 / (1u64 << 53) as f64 * 1023.0).to_bits();
    (0..N).map(|_| (v(), v(), v())).collect()
}

fn time(name: &str, mut f: impl FnMut(u64, u64, u64) -> u64, ops: &[(u64, u64, u64)]) {
    let reps = 2000;
    let mut acc = 0u64;
    // Warm up.
    for &(a, b, c) in ops {
        acc ^= f(a, b, c);
    }
    let t = Instant::now();
    for _ in 0..reps {
        for &(a, b, c) in ops {
            acc ^= f(black_box(a), black_box(b), black_box(c));
        }
    }
    let ns = t.elapsed().as_nanos() as f64 / (reps * ops.len()) as f64;
    black_box(acc);
    println!("{name:<28} {ns:7.2} ns/op");
}

fn to_s(x: u64) -> u64 {
    u64::from((f64::from_bits(x) as f32).to_bits())
}

fn main() {
    let d = operands();
    let s: Vec<_> = d
        .iter()
        .map(|&(a, b, c)| (to_s(a), to_s(b), to_s(c)))
        .collect();
    let nx = u64::from(fpu::NX);
    for (op, name) in [
        (Op::Add, "fadd"),
        (Op::Mul, "fmul"),
        (Op::Div, "fdiv"),
        (Op::Fma, "fmadd"),
    ] {
        time(
            &format!("{name}.d fast (NX set)"),
            |a, b, c| {
                let mut fl = nx;
                fpu::arith::<F64>(&mut fl, op, a, b, c, Rm::Rne)
            },
            &d,
        );
        time(
            &format!("{name}.d fast (NX clear)"),
            |a, b, c| {
                let mut fl = 0;
                fpu::arith::<F64>(&mut fl, op, a, b, c, Rm::Rne) ^ fl
            },
            &d,
        );
        time(
            &format!("{name}.d apfloat"),
            |a, b, c| soft::arith::<F64>(op, a, b, c, Rm::Rne).0,
            &d,
        );
        time(
            &format!("{name}.s fast (NX clear)"),
            |a, b, c| {
                let mut fl = 0;
                fpu::arith::<F32>(&mut fl, op, a, b, c, Rm::Rne) ^ fl
            },
            &s,
        );
        time(
            &format!("{name}.s apfloat"),
            |a, b, c| soft::arith::<F32>(op, a, b, c, Rm::Rne).0,
            &s,
        );
    }
    time(
        "fsqrt.d fast (NX set)",
        |a, _, _| {
            let mut fl = nx;
            fpu::sqrt::<F64>(&mut fl, a, Rm::Rne)
        },
        &d,
    );
    time(
        "fsqrt.d fast (NX clear)",
        |a, _, _| {
            let mut fl = 0;
            fpu::sqrt::<F64>(&mut fl, a, Rm::Rne) ^ fl
        },
        &d,
    );
    time(
        "fsqrt.d soft (integer)",
        |a, _, _| soft::sqrt::<F64>(a, Rm::Rne).0,
        &d,
    );
    time(
        "fadd.d apfloat RTZ",
        |a, b, _| soft::arith::<F64>(Op::Add, a, b, 0, Rm::Rtz).0,
        &d,
    );
    // Through the Helper as an engine calls it (dynamic rm, frm = RNE).
    let mut cpu = translator::CpuState::default();
    let h = &fpu::DOUBLE.add;
    time(
        "helper xlate_fadd_d (dyn)",
        |a, b, _| (h.f)(&mut cpu, a, b, 7),
        &d,
    );
}
