//! RV64A atomic instructions: LR/SC and AMOs (RISC-V Unprivileged ISA 20191213, chapter 8).
//!
//! The address is `rs1` with no offset. The aq/rl bits are accepted and ignored: every emitter
//! performs atomics sequentially consistent, which is at least as strong as any aq/rl choice.
//! `lr` with `rs2 != 0` is reserved, so its pattern fixes rs2 = 0 (and decodes as illegal
//! otherwise). Misaligned LR raises load address-misaligned, misaligned SC/AMO store/AMO
//! address-misaligned (checked by the emitter).

use crate::decode::{Imm, Insn, Sem, Table};
use crate::emit::{AmoOp, Emitter, Width};
use crate::Exception;

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    #[rustfmt::skip]
    let lines: &[(&'static str, &str, Imm, bool, Sem<E>)] = &[
        //               funct5 aq rl rs2  rs1   w   rd
        ("lr.w",      "00010 . . 00000 ..... 010 ..... 0101111", Imm::None, false, lr_w),
        ("sc.w",      "00011 . . ..... ..... 010 ..... 0101111", Imm::None, false, sc_w),
        ("amoswap.w", "00001 . . ..... ..... 010 ..... 0101111", Imm::None, false, amoswap_w),
        ("amoadd.w",  "00000 . . ..... ..... 010 ..... 0101111", Imm::None, false, amoadd_w),
        ("amoxor.w",  "00100 . . ..... ..... 010 ..... 0101111", Imm::None, false, amoxor_w),
        ("amoand.w",  "01100 . . ..... ..... 010 ..... 0101111", Imm::None, false, amoand_w),
        ("amoor.w",   "01000 . . ..... ..... 010 ..... 0101111", Imm::None, false, amoor_w),
        ("amomin.w",  "10000 . . ..... ..... 010 ..... 0101111", Imm::None, false, amomin_w),
        ("amomax.w",  "10100 . . ..... ..... 010 ..... 0101111", Imm::None, false, amomax_w),
        ("amominu.w", "11000 . . ..... ..... 010 ..... 0101111", Imm::None, false, amominu_w),
        ("amomaxu.w", "11100 . . ..... ..... 010 ..... 0101111", Imm::None, false, amomaxu_w),
        ("lr.d",      "00010 . . 00000 ..... 011 ..... 0101111", Imm::None, false, lr_d),
        ("sc.d",      "00011 . . ..... ..... 011 ..... 0101111", Imm::None, false, sc_d),
        ("amoswap.d", "00001 . . ..... ..... 011 ..... 0101111", Imm::None, false, amoswap_d),
        ("amoadd.d",  "00000 . . ..... ..... 011 ..... 0101111", Imm::None, false, amoadd_d),
        ("amoxor.d",  "00100 . . ..... ..... 011 ..... 0101111", Imm::None, false, amoxor_d),
        ("amoand.d",  "01100 . . ..... ..... 011 ..... 0101111", Imm::None, false, amoand_d),
        ("amoor.d",   "01000 . . ..... ..... 011 ..... 0101111", Imm::None, false, amoor_d),
        ("amomin.d",  "10000 . . ..... ..... 011 ..... 0101111", Imm::None, false, amomin_d),
        ("amomax.d",  "10100 . . ..... ..... 011 ..... 0101111", Imm::None, false, amomax_d),
        ("amominu.d", "11000 . . ..... ..... 011 ..... 0101111", Imm::None, false, amominu_d),
        ("amomaxu.d", "11100 . . ..... ..... 011 ..... 0101111", Imm::None, false, amomaxu_d),
    ];
    for &(name, pattern, imm, ends_block, sem) in lines {
        t.add(name, pattern, imm, ends_block, sem);
    }
}

/// `rd = lr(rs1)`: the loaded value, sign-extended for `.w`.
#[inline(always)]
fn lr<E: Emitter>(e: &mut E, i: &Insn, w: Width) -> R {
    let addr = e.xreg(i.rs1);
    let v = e.load_reserved(addr, w)?;
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = sc(rs1, rs2)`: 0 on success, 1 on failure.
#[inline(always)]
fn sc<E: Emitter>(e: &mut E, i: &Insn, w: Width) -> R {
    let (addr, val) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = e.store_conditional(addr, val, w)?;
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = old memory value` (sign-extended for `.w`); memory = op(old, rs2).
#[inline(always)]
fn amo<E: Emitter>(e: &mut E, i: &Insn, op: AmoOp, w: Width) -> R {
    let (addr, val) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let old = e.amo(op, addr, val, w)?;
    e.set_xreg(i.rd, old);
    Ok(())
}

macro_rules! amo_fns {
    ($($name:ident => $op:ident, $w:ident;)*) => {$(
        fn $name<E: Emitter>(e: &mut E, i: &Insn) -> R {
            amo(e, i, AmoOp::$op, Width::$w)
        }
    )*};
}

amo_fns! {
    amoswap_w => Swap, W; amoadd_w => Add, W; amoxor_w => Xor, W; amoand_w => And, W;
    amoor_w => Or, W; amomin_w => Min, W; amomax_w => Max, W; amominu_w => MinU, W;
    amomaxu_w => MaxU, W;
    amoswap_d => Swap, D; amoadd_d => Add, D; amoxor_d => Xor, D; amoand_d => And, D;
    amoor_d => Or, D; amomin_d => Min, D; amomax_d => Max, D; amominu_d => MinU, D;
    amomaxu_d => MaxU, D;
}

fn lr_w<E: Emitter>(e: &mut E, i: &Insn) -> R {
    lr(e, i, Width::W)
}
fn lr_d<E: Emitter>(e: &mut E, i: &Insn) -> R {
    lr(e, i, Width::D)
}
fn sc_w<E: Emitter>(e: &mut E, i: &Insn) -> R {
    sc(e, i, Width::W)
}
fn sc_d<E: Emitter>(e: &mut E, i: &Insn) -> R {
    sc(e, i, Width::D)
}
