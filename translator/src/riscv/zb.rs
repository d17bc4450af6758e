//! Bit manipulation: Zba, Zbb and Zbs, RV64 encodings (RISC-V Bit-Manipulation ISA-extensions,
//! version 1.0.0, chapter 2).

use super::rvi::{ri, rr};
use crate::decode::{Imm, Insn, Sem, Table};
use crate::emit::{BinOp, Emitter, UnOp};
use crate::Exception;

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    #[rustfmt::skip]
    let lines: &[(&'static str, &str, Imm, bool, Sem<E>)] = &[
        // Zba
        ("add.uw",    "0000100 ..... ..... 000 ..... 0111011", Imm::None,   false, add_uw),
        ("sh1add",    "0010000 ..... ..... 010 ..... 0110011", Imm::None,   false, sh1add),
        ("sh2add",    "0010000 ..... ..... 100 ..... 0110011", Imm::None,   false, sh2add),
        ("sh3add",    "0010000 ..... ..... 110 ..... 0110011", Imm::None,   false, sh3add),
        ("sh1add.uw", "0010000 ..... ..... 010 ..... 0111011", Imm::None,   false, sh1add_uw),
        ("sh2add.uw", "0010000 ..... ..... 100 ..... 0111011", Imm::None,   false, sh2add_uw),
        ("sh3add.uw", "0010000 ..... ..... 110 ..... 0111011", Imm::None,   false, sh3add_uw),
        ("slli.uw",   "000010 ...... ..... 001 ..... 0011011", Imm::Shamt6, false, slli_uw),
        // Zbb
        ("andn",      "0100000 ..... ..... 111 ..... 0110011", Imm::None,   false, andn),
        ("orn",       "0100000 ..... ..... 110 ..... 0110011", Imm::None,   false, orn),
        ("xnor",      "0100000 ..... ..... 100 ..... 0110011", Imm::None,   false, xnor),
        ("clz",       "0110000 00000 ..... 001 ..... 0010011", Imm::None,   false, clz),
        ("clzw",      "0110000 00000 ..... 001 ..... 0011011", Imm::None,   false, clzw),
        ("ctz",       "0110000 00001 ..... 001 ..... 0010011", Imm::None,   false, ctz),
        ("ctzw",      "0110000 00001 ..... 001 ..... 0011011", Imm::None,   false, ctzw),
        ("cpop",      "0110000 00010 ..... 001 ..... 0010011", Imm::None,   false, cpop),
        ("cpopw",     "0110000 00010 ..... 001 ..... 0011011", Imm::None,   false, cpopw),
        ("max",       "0000101 ..... ..... 110 ..... 0110011", Imm::None,   false, max),
        ("maxu",      "0000101 ..... ..... 111 ..... 0110011", Imm::None,   false, maxu),
        ("min",       "0000101 ..... ..... 100 ..... 0110011", Imm::None,   false, min),
        ("minu",      "0000101 ..... ..... 101 ..... 0110011", Imm::None,   false, minu),
        ("sext.b",    "0110000 00100 ..... 001 ..... 0010011", Imm::None,   false, sext_b),
        ("sext.h",    "0110000 00101 ..... 001 ..... 0010011", Imm::None,   false, sext_h),
        ("zext.h",    "0000100 00000 ..... 100 ..... 0111011", Imm::None,   false, zext_h),
        ("rol",       "0110000 ..... ..... 001 ..... 0110011", Imm::None,   false, rol),
        ("rolw",      "0110000 ..... ..... 001 ..... 0111011", Imm::None,   false, rolw),
        ("ror",       "0110000 ..... ..... 101 ..... 0110011", Imm::None,   false, ror),
        ("rori",      "011000 ...... ..... 101 ..... 0010011", Imm::Shamt6, false, rori),
        ("roriw",     "0110000 ..... ..... 101 ..... 0011011", Imm::Shamt5, false, roriw),
        ("rorw",      "0110000 ..... ..... 101 ..... 0111011", Imm::None,   false, rorw),
        ("orc.b",     "001010000111 ..... 101 ..... 0010011",  Imm::None,   false, orc_b),
        ("rev8",      "011010111000 ..... 101 ..... 0010011",  Imm::None,   false, rev8),
        // Zbs
        ("bclr",      "0100100 ..... ..... 001 ..... 0110011", Imm::None,   false, bclr),
        ("bclri",     "010010 ...... ..... 001 ..... 0010011", Imm::Shamt6, false, bclri),
        ("bext",      "0100100 ..... ..... 101 ..... 0110011", Imm::None,   false, bext),
        ("bexti",     "010010 ...... ..... 101 ..... 0010011", Imm::Shamt6, false, bexti),
        ("binv",      "0110100 ..... ..... 001 ..... 0110011", Imm::None,   false, binv),
        ("binvi",     "011010 ...... ..... 001 ..... 0010011", Imm::Shamt6, false, binvi),
        ("bset",      "0010100 ..... ..... 001 ..... 0110011", Imm::None,   false, bset),
        ("bseti",     "001010 ...... ..... 001 ..... 0010011", Imm::Shamt6, false, bseti),
    ];
    for &(name, pattern, imm, ends_block, sem) in lines {
        t.add(name, pattern, imm, ends_block, sem);
    }
}

// ---- Zba: address generation ----

/// `rd = rs2 + (ext(rs1) << n)`, with rs1 zero-extended from 32 bits for the `.uw` forms.
#[inline(always)]
fn shadd<E: Emitter>(e: &mut E, i: &Insn, n: u64, uw: bool) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let a = if uw { e.un(UnOp::Zext32, a) } else { a };
    let a = if n != 0 {
        let sh = e.imm(n);
        e.bin(BinOp::Shl, a, sh)
    } else {
        a
    };
    let v = e.bin(BinOp::Add, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn add_uw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 0, true)
}
fn sh1add<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 1, false)
}
fn sh2add<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 2, false)
}
fn sh3add<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 3, false)
}
fn sh1add_uw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 1, true)
}
fn sh2add_uw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 2, true)
}
fn sh3add_uw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shadd(e, i, 3, true)
}
fn slli_uw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let a = e.un(UnOp::Zext32, a);
    let sh = e.imm(i.imm as u64);
    let v = e.bin(BinOp::Shl, a, sh);
    e.set_xreg(i.rd, v);
    Ok(())
}

// ---- Zbb: basic bit manipulation ----

/// `rd = op(rs1)`.
#[inline(always)]
fn unary<E: Emitter>(e: &mut E, i: &Insn, op: UnOp) -> R {
    let a = e.xreg(i.rs1);
    let v = e.un(op, a);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn andn<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::AndNot)
}
fn orn<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::OrNot)
}
fn xnor<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::XorNot)
}
fn clz<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Clz)
}
/// Leading zeros of the low word: `clz(zext32(x)) - 32` (32 for a zero word).
fn clzw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let a = e.un(UnOp::Zext32, a);
    let n = e.un(UnOp::Clz, a);
    let k = e.imm(32);
    let v = e.bin(BinOp::Sub, n, k);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn ctz<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Ctz)
}
/// Trailing zeros of the low word: a guard bit at 32 makes a zero word count 32.
fn ctzw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let guard = e.imm(1 << 32);
    let a = e.bin(BinOp::Or, a, guard);
    let v = e.un(UnOp::Ctz, a);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn cpop<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Cpop)
}
fn cpopw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let a = e.un(UnOp::Zext32, a);
    let v = e.un(UnOp::Cpop, a);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn max<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MaxS)
}
fn maxu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MaxU)
}
fn min<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MinS)
}
fn minu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::MinU)
}
fn sext_b<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Sext8)
}
fn sext_h<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Sext16)
}
fn zext_h<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Zext16)
}
fn rol<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Rotl)
}
fn ror<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Rotr)
}
fn rori<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Rotr)
}

/// 32-bit rotate of the low word of `a` by `sh` (0..32), sign-extended: the word is doubled
/// into both halves so a 64-bit rotate leaves the 32-bit rotation in the low half.
#[inline(always)]
fn rot_w<E: Emitter>(e: &mut E, op: BinOp, a: E::V, sh: E::V) -> E::V {
    let lo = e.un(UnOp::Zext32, a);
    let k = e.imm(32);
    let hi = e.bin(BinOp::Shl, a, k);
    let doubled = e.bin(BinOp::Or, hi, lo);
    let v = e.bin(op, doubled, sh);
    e.un(UnOp::Sext32, v)
}

#[inline(always)]
fn rot_wr<E: Emitter>(e: &mut E, i: &Insn, op: BinOp) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let m = e.imm(31);
    let sh = e.bin(BinOp::And, b, m);
    let v = rot_w(e, op, a, sh);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn rolw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rot_wr(e, i, BinOp::Rotl)
}
fn rorw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rot_wr(e, i, BinOp::Rotr)
}
fn roriw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let sh = e.imm(i.imm as u64);
    let v = rot_w(e, BinOp::Rotr, a, sh);
    e.set_xreg(i.rd, v);
    Ok(())
}
fn orc_b<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::OrcB)
}
fn rev8<E: Emitter>(e: &mut E, i: &Insn) -> R {
    unary(e, i, UnOp::Rev8)
}

// ---- Zbs: single-bit operations (bit index = rs2 or shamt, modulo 64) ----

/// `1 << (index & 63)` (the emitter takes shift amounts modulo 64).
#[inline(always)]
fn bit<E: Emitter>(e: &mut E, i: &Insn, imm_form: bool) -> E::V {
    let idx = if imm_form {
        e.imm(i.imm as u64)
    } else {
        e.xreg(i.rs2)
    };
    let one = e.imm(1);
    e.bin(BinOp::Shl, one, idx)
}

/// `rd = op(rs1, 1 << index)`.
#[inline(always)]
fn single<E: Emitter>(e: &mut E, i: &Insn, op: BinOp, imm_form: bool) -> R {
    let a = e.xreg(i.rs1);
    let m = bit(e, i, imm_form);
    let v = e.bin(op, a, m);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = (rs1 >> index) & 1`.
#[inline(always)]
fn extract<E: Emitter>(e: &mut E, i: &Insn, imm_form: bool) -> R {
    let a = e.xreg(i.rs1);
    let idx = if imm_form {
        e.imm(i.imm as u64)
    } else {
        e.xreg(i.rs2)
    };
    let s = e.bin(BinOp::Shr, a, idx);
    let one = e.imm(1);
    let v = e.bin(BinOp::And, s, one);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn bclr<E: Emitter>(e: &mut E, i: &Insn) -> R {
    single(e, i, BinOp::AndNot, false)
}
fn bclri<E: Emitter>(e: &mut E, i: &Insn) -> R {
    single(e, i, BinOp::AndNot, true)
}
fn bext<E: Emitter>(e: &mut E, i: &Insn) -> R {
    extract(e, i, false)
}
fn bexti<E: Emitter>(e: &mut E, i: &Insn) -> R {
    extract(e, i, true)
}
fn binv<E: Emitter>(e: &mut E, i: &Insn) -> R {
    single(e, i, BinOp::Xor, false)
}
fn binvi<E: Emitter>(e: &mut E, i: &Insn) -> R {
    single(e, i, BinOp::Xor, true)
}
fn bset<E: Emitter>(e: &mut E, i: &Insn) -> R {
    single(e, i, BinOp::Or, false)
}
fn bseti<E: Emitter>(e: &mut E, i: &Insn) -> R {
    single(e, i, BinOp::Or, true)
}
