//! Privileged instructions: `mret`, `sret`, `wfi` and `sfence.vma` (RISC-V Privileged ISA
//! 20211203, sections 3.3.1, 3.3.2 and 4.2.1).
//!
//! The semantics compute nothing about privileged state: they hand the operation and its
//! operands to [`Emitter::system`], and the machine checks the privilege level (and
//! `mstatus.TSR`/`TW`/`TVM`), performs the operation and chooses where execution continues.
//! Every one ends its block. A machine without privileged state (Linux user mode) raises
//! illegal instruction, which becomes SIGILL.

use crate::decode::{Imm, Insn, Sem, Table};
use crate::emit::{Emitter, SystemOp};
use crate::Exception;

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    #[rustfmt::skip]
    let lines: &[(&'static str, &str, Imm, bool, Sem<E>)] = &[
        ("mret",       "0011000 00010 00000 000 00000 1110011", Imm::None, true, mret),
        ("sret",       "0001000 00010 00000 000 00000 1110011", Imm::None, true, sret),
        ("wfi",        "0001000 00101 00000 000 00000 1110011", Imm::None, true, wfi),
        ("sfence.vma", "0001001 ..... ..... 000 00000 1110011", Imm::None, true, sfence_vma),
    ];
    for &(name, pattern, imm, ends_block, sem) in lines {
        t.add(name, pattern, imm, ends_block, sem);
    }
}

fn no_operands<E: Emitter>(e: &mut E, op: SystemOp) -> R {
    let z = e.imm(0);
    e.system(op, z, z)
}

fn mret<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    no_operands(e, SystemOp::Mret)
}

fn sret<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    no_operands(e, SystemOp::Sret)
}

fn wfi<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    no_operands(e, SystemOp::Wfi)
}

/// `rs1` is the virtual address and `rs2` the ASID (x0 meaning "all" is the machine's concern:
/// it may always flush more than asked).
fn sfence_vma<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let va = e.xreg(i.rs1);
    let asid = e.xreg(i.rs2);
    e.system(SystemOp::SfenceVma, va, asid)
}
