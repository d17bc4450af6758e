//! RV64D double-precision floating point (RISC-V Unprivileged ISA 20191213, chapter 12): the
//! double-only instructions (loads/stores, moves, precision conversions); the arithmetic shared
//! with F is registered from `rvf` with `D = true`.

use crate::decode::{Imm, Insn, Table};
use crate::emit::{BinOp, Emitter, Width};
use crate::fpu::{FCVT_D_S, FCVT_S_D};
use crate::riscv::rvf::{register_common, rm_arg};
use crate::Exception;

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    t.add(
        "fld",
        "....... ..... ..... 011 ..... 0000111",
        Imm::I,
        false,
        fld,
    );
    t.add(
        "fsd",
        "....... ..... ..... 011 ..... 0100111",
        Imm::S,
        false,
        fsd,
    );
    register_common::<E, true>(t, "01", "1");
    t.add(
        "fcvt.s.d",
        "0100000 00001 ..... ... ..... 1010011",
        Imm::None,
        false,
        fcvt_s_d,
    );
    t.add(
        "fcvt.d.s",
        "0100001 00000 ..... ... ..... 1010011",
        Imm::None,
        false,
        fcvt_d_s,
    );
    t.add(
        "fmv.x.d",
        "1110001 00000 ..... 000 ..... 1010011",
        Imm::None,
        false,
        fmv_x_d,
    );
    t.add(
        "fmv.d.x",
        "1111001 00000 ..... 000 ..... 1010011",
        Imm::None,
        false,
        fmv_d_x,
    );
}

fn addr<E: Emitter>(e: &mut E, i: &Insn) -> E::V {
    let base = e.xreg(i.rs1);
    let off = e.imm(i.imm as u64);
    e.bin(BinOp::Add, base, off)
}

fn fld<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let a = addr(e, i);
    let v = e.load(a, Width::D, false)?;
    e.set_freg(i.rd, v);
    Ok(())
}

fn fsd<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let a = addr(e, i);
    let v = e.freg(i.rs2);
    e.store(a, v, Width::D)
}

fn fcvt_s_d<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let rm = rm_arg(e, i)?;
    let a = e.freg(i.rs1);
    let z = e.imm(0);
    let v = e.call(&FCVT_S_D, a, rm, z)?;
    e.set_freg(i.rd, v);
    Ok(())
}

/// fcvt.d.s is exact, but like Spike and QEMU an invalid rounding mode (static or dynamic) is
/// still an illegal instruction.
fn fcvt_d_s<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let rm = rm_arg(e, i)?;
    let a = e.freg(i.rs1);
    let z = e.imm(0);
    let v = e.call(&FCVT_D_S, a, rm, z)?;
    e.set_freg(i.rd, v);
    Ok(())
}

fn fmv_x_d<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let v = e.freg(i.rs1);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn fmv_d_x<E: Emitter>(e: &mut E, i: &Insn) -> R {
    e.fp_enabled()?;
    let v = e.xreg(i.rs1);
    e.set_freg(i.rd, v);
    Ok(())
}
