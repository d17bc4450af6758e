//! Inline fast paths of the floating-point helpers in translated code (RISC-V Unprivileged ISA
//! 20191213, chapters 11–12; IEEE 754-2008 operations in round to nearest even).
//!
//! A helper with an [`FpFast`] description is lowered to the host operation (SSE on x86-64)
//! followed by a cheap test that the host result is, value and `fflags`, what the helper (the
//! reference semantics in `fpu`) would produce; otherwise a cold block calls the helper. The
//! test never changes `fflags`: arithmetic is only taken with NX already accrued, so the fast
//! path has no flag to raise. The conditions (after checking that the rounding mode is RNE: a
//! static `rm` of 0, or 7 with `frm` = 0, and, for single precision, that every operand is
//! properly NaN-boxed, since an unboxed operand reads as the canonical NaN):
//! * add/sub: a finite result. An infinite or NaN input gives an infinite or NaN sum, so the
//!   inputs were finite; in RNE an overflow rounds to infinity, so there was none; NV needs a
//!   NaN result; a tiny sum is exact, so addition never signals underflow. Only NX remains.
//! * mul/div/fma: a finite result of magnitude >= 2^(emin+1) (biased exponent >= 2). Finite
//!   and non-zero rules out NaN/infinite operands (and the invalid cases, whose result is NaN),
//!   division by zero (an infinite quotient) and overflow; no tininess, even detected after
//!   rounding, below that bound. Zero or tiny results take the helper (underflow and the
//!   exact-zero sign rules stay in one place).
//! * sqrt: a non-NaN result (a negative or NaN operand gives NaN; the square root of a
//!   subnormal is normal; sqrt(±0) and sqrt(+inf) are exact with no flag).
//! * feq/flt/fle: both operands ordered (not NaN): exact, no flag.
//! * fmin/fmax: both operands ordered: the smaller (larger) one, and for equal operands the OR
//!   (AND) of their bit patterns, which orders -0.0 below +0.0 as the spec requires (equal
//!   non-zero operands have equal patterns). The result keeps the operands' NaN-boxing.
//!
//! Fused multiply-add is inlined only when the host has an FMA instruction (the check
//! `cranelift-native` uses to enable `has_fma`), never as a libcall.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F64, I32, I64};
use cranelift_codegen::ir::{BlockArg, InstBuilder, MemFlagsData, Value};

use super::{trusted, ClifEmitter};
use crate::emit::{CsrOp, FpFast, FpFastOp, Helper};
use crate::CpuState;

const OFF_FFLAGS: i32 = std::mem::offset_of!(CpuState, fflags) as i32;
const OFF_FRM: i32 = std::mem::offset_of!(CpuState, frm) as i32;

/// Whether the host has fused multiply-add (then Cranelift emits `vfmadd`, not a libcall).
fn host_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl ClifEmitter {
    /// Emits `h(a, b, c)` with its inline fast path `f`, or returns `None` (nothing emitted)
    /// when this call cannot use one (a rounding mode other than RNE or dynamic, a rounding
    /// mode that is not a constant, fma without host support).
    pub(super) fn fp_fast_call(
        &mut self,
        h: &'static Helper,
        f: FpFast,
        a: Value,
        b: Value,
        c: Value,
    ) -> Option<Value> {
        let rm = match f.op {
            FpFastOp::Add | FpFastOp::Sub | FpFastOp::Mul | FpFastOp::Div => {
                Some(self.const_of(c)?)
            }
            FpFastOp::Sqrt => Some(self.const_of(b)?),
            FpFastOp::Fma { rm } => {
                if !host_fma() {
                    return None;
                }
                Some(u64::from(rm))
            }
            _ => None,
        };
        let dynamic = match rm {
            None | Some(0) => false,
            Some(7) => true,
            Some(_) => return None,
        };
        let (d, cpu) = (f.double, self.cpu);
        let mut oks: Vec<Value> = Vec::new();
        let mut ins = self.cursor();
        let mut ins_f = |v: Value, oks: &mut Vec<Value>| -> Value {
            if d {
                ins.ins().bitcast(F64, MemFlagsData::new(), v)
            } else {
                let hi = ins.ins().ushr_imm_s(v, 32);
                oks.push(ins.ins().icmp_imm_s(IntCC::Equal, hi, 0xffff_ffff));
                let lo = ins.ins().ireduce(I32, v);
                ins.ins().bitcast(F32, MemFlagsData::new(), lo)
            }
        };
        let fa = ins_f(a, &mut oks);
        let unary = matches!(f.op, FpFastOp::Sqrt);
        let fb = if unary { fa } else { ins_f(b, &mut oks) };
        let fc = if matches!(f.op, FpFastOp::Fma { .. }) {
            ins_f(c, &mut oks)
        } else {
            fa
        };
        let mut ins = self.cursor();
        let r = match f.op {
            FpFastOp::Eq | FpFastOp::Lt | FpFastOp::Le => {
                oks.push(ins.ins().fcmp(FloatCC::Ordered, fa, fb));
                let cc = match f.op {
                    FpFastOp::Eq => FloatCC::Equal,
                    FpFastOp::Lt => FloatCC::LessThan,
                    _ => FloatCC::LessThanOrEqual,
                };
                let t = ins.ins().fcmp(cc, fa, fb);
                ins.ins().uextend(I64, t)
            }
            FpFastOp::Min | FpFastOp::Max => {
                oks.push(ins.ins().fcmp(FloatCC::Ordered, fa, fb));
                let lt = ins.ins().fcmp(FloatCC::LessThan, fa, fb);
                let gt = ins.ins().fcmp(FloatCC::GreaterThan, fa, fb);
                if f.op == FpFastOp::Min {
                    let eq = ins.ins().bor(a, b);
                    let r = ins.ins().select(gt, b, eq);
                    ins.ins().select(lt, a, r)
                } else {
                    let eq = ins.ins().band(a, b);
                    let r = ins.ins().select(lt, b, eq);
                    ins.ins().select(gt, a, r)
                }
            }
            _ => {
                let fr = match f.op {
                    FpFastOp::Add => ins.ins().fadd(fa, fb),
                    FpFastOp::Sub => ins.ins().fsub(fa, fb),
                    FpFastOp::Mul => ins.ins().fmul(fa, fb),
                    FpFastOp::Div => ins.ins().fdiv(fa, fb),
                    FpFastOp::Sqrt => ins.ins().sqrt(fa),
                    _ => ins.ins().fma(fa, fb, fc),
                };
                // The result's magnitude bits, as an integer of the format's width.
                let (ity, mant, inf) = if d {
                    (I64, 52, 0x7ff0_0000_0000_0000_i64)
                } else {
                    (I32, 23, 0x7f80_0000_i64)
                };
                let bits = ins.ins().bitcast(ity, MemFlagsData::new(), fr);
                let abs_mask = if d { i64::MAX } else { 0x7fff_ffff };
                let abs = ins.ins().band_imm_s(bits, abs_mask);
                let ok = match f.op {
                    FpFastOp::Add | FpFastOp::Sub => {
                        ins.ins().icmp_imm_s(IntCC::UnsignedLessThan, abs, inf)
                    }
                    FpFastOp::Sqrt => {
                        ins.ins()
                            .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, abs, inf)
                    }
                    _ => {
                        // 2^(emin+1) <= |r| < inf, as one unsigned range test.
                        let lo = 2_i64 << mant;
                        let t = ins.ins().iadd_imm_s(abs, -lo);
                        ins.ins().icmp_imm_s(IntCC::UnsignedLessThan, t, inf - lo)
                    }
                };
                oks.push(ok);
                if d {
                    bits
                } else {
                    let w = ins.ins().uextend(I64, bits);
                    ins.ins().bor_imm_s(w, crate::riscv::rvf::BOX as i64)
                }
            }
        };
        // NX already accrued (arithmetic: the one flag left that the result does not decide),
        // and for a dynamic rounding mode, `frm` RNE.
        // (A dynamic rounding mode is only ever an arithmetic operation's: one flag for both.)
        if dynamic {
            let nx_rne = self.fp_nx_and_rne();
            oks.push(nx_rne);
        } else if !matches!(
            f.op,
            FpFastOp::Eq | FpFastOp::Lt | FpFastOp::Le | FpFastOp::Min | FpFastOp::Max
        ) {
            let nx = self.fp_nx_accrued();
            oks.push(nx);
        }
        let mut ins = self.cursor();
        let mut ok = oks[0];
        for &o in &oks[1..] {
            ok = ins.ins().band(ok, o);
        }
        // ok: join with the fast result; else the helper in a cold block.
        let join = self.new_block(false);
        let res = self.func.dfg.append_block_param(join, I64);
        let slow = self.new_block(true);
        self.cursor()
            .ins()
            .brif(ok, join, &[BlockArg::Value(r)], slow, &[]);
        self.cur = slow;
        if let Some(slot) = self.fp_exit_slot() {
            // The interpreter runs it (see `set_fp_exits`).
            self.exit_fp_here(slot);
            self.cur = join;
            return Some(res);
        }
        // The helper only accrues flags: NX, once accrued, stays so, and `frm` is unchanged.
        let shared = (self.fp_nx, self.fp_nx_rne);
        let r2 = self.call_helper(h.f as usize, cpu, a, b, c);
        if h.may_raise {
            self.check_pending();
        }
        self.cursor().ins().jump(join, &[BlockArg::Value(r2)]);
        self.cur = join;
        (self.fp_nx, self.fp_nx_rne) = shared;
        Some(res)
    }

    /// Whether `fflags` has NX accrued (an `i8` flag), tested once per guest block (see
    /// [`ClifEmitter::fp_nx`]).
    fn fp_nx_accrued(&mut self) -> Value {
        if let Some(v) = self.fp_nx {
            return v;
        }
        let cpu = self.cpu;
        let mut c = self.cursor();
        let fl = c.ins().load(I64, trusted(), cpu, OFF_FFLAGS);
        let nx = c.ins().band_imm_s(fl, i64::from(crate::fpu::NX));
        let v = c.ins().icmp_imm_s(IntCC::NotEqual, nx, 0);
        self.fp_nx = Some(v);
        v
    }

    /// Whether `fflags` has NX accrued and `frm` is RNE (an `i8` flag), tested once per guest
    /// block (see [`ClifEmitter::fp_nx_rne`]).
    fn fp_nx_and_rne(&mut self) -> Value {
        if let Some(v) = self.fp_nx_rne {
            return v;
        }
        let nx = self.fp_nx_accrued();
        let cpu = self.cpu;
        let mut c = self.cursor();
        let frm = c.ins().load(I64, trusted(), cpu, OFF_FRM);
        let rne = c.ins().icmp_imm_s(IntCC::Equal, frm, 0);
        let v = c.ins().band(nx, rne);
        self.fp_nx_rne = Some(v);
        v
    }

    /// `fflags`/`frm`/`fcsr` (CSRs 0x001–0x003) as plain accesses of the CPU state when the
    /// environment's FP unit is always on (no `fp_enabled` helper: nothing can make them
    /// illegal or have side effects), with the interpreter's `fp_csr` semantics. `None` (nothing
    /// emitted) for any other CSR or environment.
    pub(super) fn fp_csr_inline(
        &mut self,
        csr: u16,
        op: CsrOp,
        src: Value,
        write: bool,
    ) -> Option<Value> {
        if self.low.helpers.fp_enabled != 0 || !(1..=3).contains(&csr) {
            return None;
        }
        let cpu = self.cpu;
        let mut c = self.cursor();
        // Only the fields the CSR holds (Cranelift keeps a load whose value is unused).
        let mut field = |off, mask| {
            let v = c.ins().load(I64, trusted(), cpu, off);
            c.ins().band_imm_s(v, mask)
        };
        let old = match csr {
            1 => field(OFF_FFLAGS, 0x1f),
            2 => field(OFF_FRM, 7),
            _ => {
                let fl = field(OFF_FFLAGS, 0x1f);
                let rm = field(OFF_FRM, 7);
                let hi = c.ins().ishl_imm_s(rm, 5);
                c.ins().bor(hi, fl)
            }
        };
        if write {
            let new = match op {
                CsrOp::Write => src,
                CsrOp::Set => c.ins().bor(old, src),
                CsrOp::Clear => c.ins().band_not(old, src),
            };
            if csr != 2 {
                let f = c.ins().band_imm_s(new, 0x1f);
                c.ins().store(trusted(), f, cpu, OFF_FFLAGS);
            }
            // (The shared tests of the fast paths no longer hold.)
            self.fp_nx = None;
            self.fp_nx_rne = None;
            let mut c = self.cursor();
            if csr != 1 {
                let m = if csr == 2 {
                    new
                } else {
                    c.ins().ushr_imm_s(new, 5)
                };
                let m = c.ins().band_imm_s(m, 7);
                c.ins().store(trusted(), m, cpu, OFF_FRM);
            }
        }
        Some(old)
    }
}
