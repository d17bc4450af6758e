//! RV64F single-precision floating point (RISC-V Unprivileged ISA 20191213, chapter 11), and
//! the semantics shared with RV64D (chapter 12), generic over the precision `D`.
//!
//! Values live NaN-boxed in the 64-bit f registers (section 12.2). Rounding and exception flags
//! are the [`crate::fpu`] helpers'; moves, sign injection, loads and stores are plain bit
//! operations here and never canonicalize NaNs. A static `rm` of 5 or 6 is an illegal
//! instruction (tval = instruction bits); a dynamic `rm` with an invalid `frm` is raised by the
//! helper (tval 0, see `fpu`).

use crate::decode::{Imm, Insn, Table};
use crate::emit::{BinOp, Cond, Emitter, Helper, UnOp, Width};
use crate::fpu::{FpHelpers, DOUBLE, SINGLE};
use crate::{Cause, Exception};

type R = Result<(), Exception>;

pub(crate) const BOX: u64 = 0xffff_ffff_0000_0000;
const CANON_S_BOXED: u64 = 0xffff_ffff_7fc0_0000;

pub(crate) fn helpers<const D: bool>() -> &'static FpHelpers {
    if D {
        &DOUBLE
    } else {
        &SINGLE
    }
}

/// Sign bit of the precision.
const fn sign<const D: bool>() -> u64 {
    if D {
        1 << 63
    } else {
        1 << 31
    }
}

pub fn register<E: Emitter>(t: &mut Table<E>) {
    t.add(
        "flw",
        "....... ..... ..... 010 ..... 0000111",
        Imm::I,
        false,
        flw,
    );
    t.add(
        "fsw",
        "....... ..... ..... 010 ..... 0100111",
        Imm::S,
        false,
        fsw,
    );
    register_common::<E, false>(t, "00", "0");
    t.add(
        "fmv.x.w",
        "1110000 00000 ..... 000 ..... 1010011",
        Imm::None,
        false,
        fmv_x_w,
    );
    t.add(
        "fmv.w.x",
        "1111000 00000 ..... 000 ..... 1010011",
        Imm::None,
        false,
        fmv_w_x,
    );
}

/// Registers the instructions F and D share, with format field `fmt` (bits 26:25; `fmt1` is its
/// low bit alone, bit 25).
/// (fmt 10 = half and 11 = quad are not implemented: they match no line and decode as illegal.)
pub(crate) fn register_common<E: Emitter, const D: bool>(t: &mut Table<E>, fmt: &str, fmt1: &str) {
    let p = |body: &str| -> String { body.replace("FF", fmt).replace('F', fmt1) };
    let lines: [(&str, &str, &str, crate::decode::Sem<E>); 26] = [
        (
            "fmadd.s",
            "fmadd.d",
            "..... FF ..... ..... ... ..... 1000011",
            fma::<E, D, 0>,
        ),
        (
            "fmsub.s",
            "fmsub.d",
            "..... FF ..... ..... ... ..... 1000111",
            fma::<E, D, 1>,
        ),
        (
            "fnmsub.s",
            "fnmsub.d",
            "..... FF ..... ..... ... ..... 1001011",
            fma::<E, D, 2>,
        ),
        (
            "fnmadd.s",
            "fnmadd.d",
            "..... FF ..... ..... ... ..... 1001111",
            fma::<E, D, 3>,
        ),
        (
            "fadd.s",
            "fadd.d",
            "000000F ..... ..... ... ..... 1010011",
            arith::<E, D, 0>,
        ),
        (
            "fsub.s",
            "fsub.d",
            "000010F ..... ..... ... ..... 1010011",
            arith::<E, D, 1>,
        ),
        (
            "fmul.s",
            "fmul.d",
            "000100F ..... ..... ... ..... 1010011",
            arith::<E, D, 2>,
        ),
        (
            "fdiv.s",
            "fdiv.d",
            "000110F ..... ..... ... ..... 1010011",
            arith::<E, D, 3>,
        ),
        (
            "fsqrt.s",
            "fsqrt.d",
            "010110F 00000 ..... ... ..... 1010011",
            fsqrt::<E, D>,
        ),
        (
            "fsgnj.s",
            "fsgnj.d",
            "001000F ..... ..... 000 ..... 1010011",
            fsgnj::<E, D, 0>,
        ),
        (
            "fsgnjn.s",
            "fsgnjn.d",
            "001000F ..... ..... 001 ..... 1010011",
            fsgnj::<E, D, 1>,
        ),
        (
            "fsgnjx.s",
            "fsgnjx.d",
            "001000F ..... ..... 010 ..... 1010011",
            fsgnj::<E, D, 2>,
        ),
        (
            "fmin.s",
            "fmin.d",
            "001010F ..... ..... 000 ..... 1010011",
            minmax::<E, D, false>,
        ),
        (
            "fmax.s",
            "fmax.d",
            "001010F ..... ..... 001 ..... 1010011",
            minmax::<E, D, true>,
        ),
        (
            "fcvt.w.s",
            "fcvt.w.d",
            "110000F 00000 ..... ... ..... 1010011",
            to_int::<E, D, 0>,
        ),
        (
            "fcvt.wu.s",
            "fcvt.wu.d",
            "110000F 00001 ..... ... ..... 1010011",
            to_int::<E, D, 1>,
        ),
        (
            "fcvt.l.s",
            "fcvt.l.d",
            "110000F 00010 ..... ... ..... 1010011",
            to_int::<E, D, 2>,
        ),
        (
            "fcvt.lu.s",
            "fcvt.lu.d",
            "110000F 00011 ..... ... ..... 1010011",
            to_int::<E, D, 3>,
        ),
        (
            "feq.s",
            "feq.d",
            "101000F ..... ..... 010 ..... 1010011",
            cmp::<E, D, 0>,
        ),
        (
            "flt.s",
            "flt.d",
            "101000F ..... ..... 001 ..... 1010011",
            cmp::<E, D, 1>,
        ),
        (
            "fle.s",
            "fle.d",
            "101000F ..... ..... 000 ..... 1010011",
            cmp::<E, D, 2>,
        ),
        (
            "fclass.s",
            "fclass.d",
            "111000F 00000 ..... 001 ..... 1010011",
            fclass::<E, D>,
        ),
        (
            "fcvt.s.w",
            "fcvt.d.w",
            "110100F 00000 ..... ... ..... 1010011",
            from_int::<E, D, 0>,
        ),
        (
            "fcvt.s.wu",
            "fcvt.d.wu",
            "110100F 00001 ..... ... ..... 1010011",
            from_int::<E, D, 1>,
        ),
        (
            "fcvt.s.l",
            "fcvt.d.l",
            "110100F 00010 ..... ... ..... 1010011",
            from_int::<E, D, 2>,
        ),
        (
            "fcvt.s.lu",
            "fcvt.d.lu",
            "110100F 00011 ..... ... ..... 1010011",
            from_int::<E, D, 3>,
        ),
    ];
    for (name_s, name_d, pat, sem) in lines {
        t.add(
            if D { name_d } else { name_s },
            &p(pat),
            Imm::None,
            false,
            sem,
        );
    }
}

/// The `rm` field as an emitter value, or illegal instruction for the reserved encodings 5, 6.
pub(crate) fn rm_arg<E: Emitter>(e: &mut E, i: &Insn) -> Result<E::V, Exception> {
    match i.rm {
        5 | 6 => Err(e.trap(Cause::IllegalInstruction, i.bits())),
        rm => Ok(e.imm(u64::from(rm))),
    }
}

/// Reads an operand of precision `D` for sign injection: single values not properly NaN-boxed
/// read as the (boxed) canonical NaN.
fn operand<E: Emitter, const D: bool>(e: &mut E, r: u8) -> E::V {
    let v = e.freg(r);
    if D {
        return v;
    }
    let sh = e.imm(32);
    let hi = e.bin(BinOp::Shr, v, sh);
    let ones = e.imm(0xffff_ffff);
    let boxed = e.cmp(Cond::Eq, hi, ones);
    let canon = e.imm(CANON_S_BOXED);
    e.select(boxed, v, canon)
}

fn call_rd_f<E: Emitter>(e: &mut E, i: &Insn, h: &'static Helper, a: E::V, b: E::V, c: E::V) -> R {
    let v = e.call(h, a, b, c)?;
    e.set_freg(i.rd, v);
    Ok(())
}

fn call_rd_x<E: Emitter>(e: &mut E, i: &Insn, h: &'static Helper, a: E::V, b: E::V, c: E::V) -> R {
    let v = e.call(h, a, b, c)?;
    e.set_xreg(i.rd, v);
    Ok(())
}

/// fmadd (0), fmsub (1), fnmsub (2), fnmadd (3): `±(a*b) ± c` as one fused operation on
/// negated operands; negating an input only flips its sign bit, which changes neither NaN-ness
/// nor boxing, and the exact value (hence the rounded result) is the same.
fn fma<E: Emitter, const D: bool, const K: u8>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    rm_arg(e, i)?;
    let mut a = e.freg(i.rs1);
    let b = e.freg(i.rs2);
    let mut c = e.freg(i.rs3);
    let s = e.imm(sign::<D>());
    if K == 2 || K == 3 {
        a = e.bin(BinOp::Xor, a, s);
    }
    if K == 1 || K == 3 {
        c = e.bin(BinOp::Xor, c, s);
    }
    let h = &helpers::<D>().fma[usize::from(i.rm & 7)];
    call_rd_f(e, i, h, a, b, c)
}

/// fadd (0), fsub (1), fmul (2), fdiv (3).
fn arith<E: Emitter, const D: bool, const OP: u8>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let rm = rm_arg(e, i)?;
    let hs = helpers::<D>();
    let h = match OP {
        0 => &hs.add,
        1 => &hs.sub,
        2 => &hs.mul,
        _ => &hs.div,
    };
    let a = e.freg(i.rs1);
    let b = e.freg(i.rs2);
    call_rd_f(e, i, h, a, b, rm)
}

fn fsqrt<E: Emitter, const D: bool>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let rm = rm_arg(e, i)?;
    let a = e.freg(i.rs1);
    let z = e.imm(0);
    call_rd_f(e, i, &helpers::<D>().sqrt, a, rm, z)
}

/// fsgnj (0), fsgnjn (1), fsgnjx (2): bit operations, no NaN canonicalization.
fn fsgnj<E: Emitter, const D: bool, const K: u8>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let a = operand::<E, D>(e, i.rs1);
    let b = operand::<E, D>(e, i.rs2);
    let s = e.imm(sign::<D>());
    let v = match K {
        0 | 1 => {
            let mag = e.bin(BinOp::AndNot, a, s);
            let src = if K == 0 { b } else { e.un(UnOp::Not, b) };
            let sgn = e.bin(BinOp::And, src, s);
            e.bin(BinOp::Or, mag, sgn)
        }
        _ => {
            let sgn = e.bin(BinOp::And, b, s);
            e.bin(BinOp::Xor, a, sgn)
        }
    };
    e.set_freg(i.rd, v);
    Ok(())
}

fn minmax<E: Emitter, const D: bool, const MAX: bool>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let hs = helpers::<D>();
    let h = if MAX { &hs.max } else { &hs.min };
    let a = e.freg(i.rs1);
    let b = e.freg(i.rs2);
    let z = e.imm(0);
    call_rd_f(e, i, h, a, b, z)
}

/// fcvt.{w,wu,l,lu}.fmt (K = 0..3).
fn to_int<E: Emitter, const D: bool, const K: u8>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let rm = rm_arg(e, i)?;
    let hs = helpers::<D>();
    let h = match K {
        0 => &hs.to_w,
        1 => &hs.to_wu,
        2 => &hs.to_l,
        _ => &hs.to_lu,
    };
    let a = e.freg(i.rs1);
    let z = e.imm(0);
    call_rd_x(e, i, h, a, rm, z)
}

/// fcvt.fmt.{w,wu,l,lu} (K = 0..3).
fn from_int<E: Emitter, const D: bool, const K: u8>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let rm = rm_arg(e, i)?;
    let hs = helpers::<D>();
    let h = match K {
        0 => &hs.from_w,
        1 => &hs.from_wu,
        2 => &hs.from_l,
        _ => &hs.from_lu,
    };
    let x = e.xreg(i.rs1);
    let z = e.imm(0);
    call_rd_f(e, i, h, x, rm, z)
}

/// feq (0), flt (1), fle (2).
fn cmp<E: Emitter, const D: bool, const K: u8>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let hs = helpers::<D>();
    let h = match K {
        0 => &hs.eq,
        1 => &hs.lt,
        _ => &hs.le,
    };
    let a = e.freg(i.rs1);
    let b = e.freg(i.rs2);
    let z = e.imm(0);
    call_rd_x(e, i, h, a, b, z)
}

fn fclass<E: Emitter, const D: bool>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let a = e.freg(i.rs1);
    let z = e.imm(0);
    call_rd_x(e, i, &helpers::<D>().class, a, z, z)
}

fn addr<E: Emitter>(e: &mut E, i: &Insn) -> E::V {
    let base = e.xreg(i.rs1);
    let off = e.imm(i.imm as u64);
    e.bin(BinOp::Add, base, off)
}

fn flw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let a = addr(e, i);
    let v = e.load(a, Width::W, false)?;
    let b = e.imm(BOX);
    let v = e.bin(BinOp::Or, v, b);
    e.set_freg(i.rd, v);
    Ok(())
}

fn fsw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let a = addr(e, i);
    let v = e.freg(i.rs2);
    e.store(a, v, Width::W)
}

/// fmv.x.w: the low 32 bits, sign-extended, whatever the boxing.
fn fmv_x_w<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let v = e.freg(i.rs1);
    let v = e.un(UnOp::Sext32, v);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// fmv.w.x: NaN-boxes the low 32 bits of rs1.
fn fmv_w_x<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let v = e.xreg(i.rs1);
    let v = e.un(UnOp::Zext32, v);
    let b = e.imm(BOX);
    let v = e.bin(BinOp::Or, v, b);
    e.set_freg(i.rd, v);
    Ok(())
}
