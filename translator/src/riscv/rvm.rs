//! RV64M integer multiplication and division (RISC-V Unprivileged ISA 20191213, chapter 7).
//!
//! Division never traps. The results the spec fixes for division by zero (quotient all ones,
//! remainder the dividend) and for signed overflow `MIN / -1` (quotient `MIN`, remainder 0) are
//! built with `cmp`/`select` around a safe divisor, so the emitter's `DivS`/`DivU`/`RemS`/`RemU`
//! never see zero or `MIN / -1` (see `emit`).

use super::rvi::rr;
use crate::decode::{Imm, Insn, Sem, Table};
use crate::emit::{BinOp, Cond, Emitter, UnOp};
use crate::Exception;

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    #[rustfmt::skip]
    let lines: &[(&'static str, &str, Imm, bool, Sem<E>)] = &[
        ("mul",    "0000001 ..... ..... 000 ..... 0110011", Imm::None, false, mul),
        ("mulh",   "0000001 ..... ..... 001 ..... 0110011", Imm::None, false, mulh),
        ("mulhsu", "0000001 ..... ..... 010 ..... 0110011", Imm::None, false, mulhsu),
        ("mulhu",  "0000001 ..... ..... 011 ..... 0110011", Imm::None, false, mulhu),
        ("div",    "0000001 ..... ..... 100 ..... 0110011", Imm::None, false, div),
        ("divu",   "0000001 ..... ..... 101 ..... 0110011", Imm::None, false, divu),
        ("rem",    "0000001 ..... ..... 110 ..... 0110011", Imm::None, false, rem),
        ("remu",   "0000001 ..... ..... 111 ..... 0110011", Imm::None, false, remu),
        ("mulw",   "0000001 ..... ..... 000 ..... 0111011", Imm::None, false, mulw),
        ("divw",   "0000001 ..... ..... 100 ..... 0111011", Imm::None, false, divw),
        ("divuw",  "0000001 ..... ..... 101 ..... 0111011", Imm::None, false, divuw),
        ("remw",   "0000001 ..... ..... 110 ..... 0111011", Imm::None, false, remw),
        ("remuw",  "0000001 ..... ..... 111 ..... 0111011", Imm::None, false, remuw),
    ];
    for &(name, pattern, imm, ends_block, sem) in lines {
        t.add(name, pattern, imm, ends_block, sem);
    }
}

fn mul<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Mul)
}
fn mulh<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MulHS)
}
/// rs1 signed, rs2 unsigned.
fn mulhsu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MulHSU)
}
fn mulhu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MulHU)
}

/// Signed 64-bit division or remainder with the spec's results for `/0` and `MIN / -1`.
/// `check_overflow` is false when the operands are sign-extended 32-bit values, whose 64-bit
/// quotient cannot overflow.
#[inline(always)]
fn signed<E: Emitter>(e: &mut E, a: E::V, b: E::V, rem: bool, check_overflow: bool) -> E::V {
    let zero = e.imm(0);
    let one = e.imm(1);
    let by_zero = e.cmp(Cond::Eq, b, zero);
    let bad = if check_overflow {
        let min = e.imm(i64::MIN as u64);
        let minus_one = e.imm(u64::MAX);
        let a_min = e.cmp(Cond::Eq, a, min);
        let b_m1 = e.cmp(Cond::Eq, b, minus_one);
        let ovf = e.bin(BinOp::And, a_min, b_m1);
        e.bin(BinOp::Or, by_zero, ovf)
    } else {
        by_zero
    };
    // With divisor 1, MIN / -1 becomes MIN / 1 = MIN and MIN % 1 = 0: the spec's results.
    let safe = e.select(bad, one, b);
    if rem {
        let r = e.bin(BinOp::RemS, a, safe);
        e.select(by_zero, a, r)
    } else {
        let q = e.bin(BinOp::DivS, a, safe);
        let all_ones = e.imm(u64::MAX);
        e.select(by_zero, all_ones, q)
    }
}

/// Unsigned 64-bit division or remainder with the spec's results for `/0`.
#[inline(always)]
fn unsigned<E: Emitter>(e: &mut E, a: E::V, b: E::V, rem: bool) -> E::V {
    let zero = e.imm(0);
    let one = e.imm(1);
    let by_zero = e.cmp(Cond::Eq, b, zero);
    let safe = e.select(by_zero, one, b);
    if rem {
        let r = e.bin(BinOp::RemU, a, safe);
        e.select(by_zero, a, r)
    } else {
        let q = e.bin(BinOp::DivU, a, safe);
        let all_ones = e.imm(u64::MAX);
        e.select(by_zero, all_ones, q)
    }
}

fn div<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = signed(e, a, b, false, true);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn rem<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = signed(e, a, b, true, true);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn divu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = unsigned(e, a, b, false);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn remu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = unsigned(e, a, b, true);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn mulw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let p = e.bin(BinOp::Mul, a, b);
    let v = e.un(UnOp::Sext32, p);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// divw/remw: divide the sign-extended low words as 64-bit values. `MIN32 / -1` is `2^31`,
/// which sign-extends from 32 bits back to `MIN32` (the spec's overflow result), and the
/// remainder is 0; a zero divisor gives all ones / the (sign-extended) dividend.
#[inline(always)]
fn signed_w<E: Emitter>(e: &mut E, i: &Insn, rem: bool) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let a = e.un(UnOp::Sext32, a);
    let b = e.un(UnOp::Sext32, b);
    let v = signed(e, a, b, rem, false);
    let v = e.un(UnOp::Sext32, v);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// divuw/remuw: divide the zero-extended low words, sign-extend the 32-bit result.
#[inline(always)]
fn unsigned_w<E: Emitter>(e: &mut E, i: &Insn, rem: bool) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let a = e.un(UnOp::Zext32, a);
    let b = e.un(UnOp::Zext32, b);
    let v = unsigned(e, a, b, rem);
    let v = e.un(UnOp::Sext32, v);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn divw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    signed_w(e, i, false)
}
fn remw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    signed_w(e, i, true)
}
fn divuw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unsigned_w(e, i, false)
}
fn remuw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unsigned_w(e, i, true)
}
