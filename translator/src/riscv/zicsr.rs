//! Zicsr control and status register instructions (RISC-V Unprivileged ISA 20191213,
//! chapter 9).
//!
//! Side effects follow the spec exactly: `csrrw`/`csrrwi` with `rd = x0` do not read the CSR;
//! `csrrs`/`csrrc` with `rs1 = x0` and `csrrsi`/`csrrci` with `uimm = 0` do not write it. These
//! are decode-time facts (register numbers), so testing them with Rust `if` is allowed.
//!
//! Every CSR instruction ends its block: a CSR write (`frm`, and in system mode `satp`,
//! `mstatus`, ...) can change how the following code must be translated. The semantics therefore
//! set the next pc themselves.

use crate::decode::{Imm, Insn, Sem, Table};
use crate::emit::{CsrOp, Emitter};
use crate::Exception;

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    #[rustfmt::skip]
    let lines: &[(&'static str, &str, Imm, bool, Sem<E>)] = &[
        //               csr          rs1/uimm  f3  rd
        ("csrrw",  "............ ..... 001 ..... 1110011", Imm::Csr, true, csrrw),
        ("csrrs",  "............ ..... 010 ..... 1110011", Imm::Csr, true, csrrs),
        ("csrrc",  "............ ..... 011 ..... 1110011", Imm::Csr, true, csrrc),
        ("csrrwi", "............ ..... 101 ..... 1110011", Imm::Csr, true, csrrwi),
        ("csrrsi", "............ ..... 110 ..... 1110011", Imm::Csr, true, csrrsi),
        ("csrrci", "............ ..... 111 ..... 1110011", Imm::Csr, true, csrrci),
    ];
    for &(name, pattern, imm, ends_block, sem) in lines {
        t.add(name, pattern, imm, ends_block, sem);
    }
}

/// The common body: `src` is rs1 or the 5-bit uimm (the `rs1` field).
#[inline(always)]
fn csr<E: Emitter>(e: &mut E, i: &Insn, op: CsrOp, imm_form: bool) -> R {
    let src = if imm_form {
        e.imm(u64::from(i.rs1))
    } else {
        // Read rs1 before rd is written: they may be the same register.
        e.xreg(i.rs1)
    };
    let (read, write) = match op {
        CsrOp::Write => (i.rd != 0, true),
        CsrOp::Set | CsrOp::Clear => (true, i.rs1 != 0),
    };
    // Imm::Csr is bits 31:20, so the number is below 4096.
    let old = e.csr((i.imm as u64 & 0xfff) as u16, op, src, read, write)?;
    if read {
        e.set_xreg(i.rd, old);
    }
    let next = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.jump(next);
    Ok(())
}

fn csrrw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    csr(e, i, CsrOp::Write, false)
}
fn csrrs<E: Emitter>(e: &mut E, i: &Insn) -> R {
    csr(e, i, CsrOp::Set, false)
}
fn csrrc<E: Emitter>(e: &mut E, i: &Insn) -> R {
    csr(e, i, CsrOp::Clear, false)
}
fn csrrwi<E: Emitter>(e: &mut E, i: &Insn) -> R {
    csr(e, i, CsrOp::Write, true)
}
fn csrrsi<E: Emitter>(e: &mut E, i: &Insn) -> R {
    csr(e, i, CsrOp::Set, true)
}
fn csrrci<E: Emitter>(e: &mut E, i: &Insn) -> R {
    csr(e, i, CsrOp::Clear, true)
}
