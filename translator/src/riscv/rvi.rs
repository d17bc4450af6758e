//! RV64I base integer instructions and Zifencei (RISC-V Unprivileged ISA, chapters 2, 3 and 5).

use crate::decode::{Imm, Insn, Table};
use crate::emit::{BinOp, Cond, Emitter, FenceKind, UnOp, Width};
use crate::{Cause, Exception};

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    t.add(
        "lui",
        "....... ..... ..... ... ..... 0110111",
        Imm::U,
        false,
        lui,
    );
    t.add(
        "auipc",
        "....... ..... ..... ... ..... 0010111",
        Imm::U,
        false,
        auipc,
    );
    t.add(
        "jal",
        "....... ..... ..... ... ..... 1101111",
        Imm::J,
        true,
        jal,
    );
    t.add(
        "jalr",
        "....... ..... ..... 000 ..... 1100111",
        Imm::I,
        true,
        jalr,
    );
    t.add(
        "beq",
        "....... ..... ..... 000 ..... 1100011",
        Imm::B,
        true,
        beq,
    );
    t.add(
        "add",
        "0000000 ..... ..... 000 ..... 0110011",
        Imm::None,
        false,
        add,
    );
    t.add(
        "addi",
        "....... ..... ..... 000 ..... 0010011",
        Imm::I,
        false,
        addi,
    );
    t.add(
        "ld",
        "....... ..... ..... 011 ..... 0000011",
        Imm::I,
        false,
        ld,
    );
    t.add(
        "sd",
        "....... ..... ..... 011 ..... 0100011",
        Imm::S,
        false,
        sd,
    );
    t.add(
        "ecall",
        "0000000 00000 00000 000 00000 1110011",
        Imm::None,
        true,
        ecall,
    );
    t.add(
        "fence.i",
        "....... ..... ..... 001 ..... 0001111",
        Imm::I,
        true,
        fence_i,
    );
    let _ = (UnOp::Not, Cond::Eq, BinOp::Add);
}

fn lui<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let v = e.imm(i.imm as u64);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn auipc<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let v = e.imm(e.pc().wrapping_add(i.imm as u64));
    e.set_xreg(i.rd, v);
    Ok(())
}

fn jal<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let link = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.set_xreg(i.rd, link);
    let target = e.imm(e.pc().wrapping_add(i.imm as u64));
    e.jump(target);
    Ok(())
}

fn jalr<E: Emitter>(e: &mut E, i: &Insn) -> R {
    // Read rs1 before writing rd: they may be the same register.
    let base = e.xreg(i.rs1);
    let off = e.imm(i.imm as u64);
    let sum = e.bin(BinOp::Add, base, off);
    let mask = e.imm(!1);
    let target = e.bin(BinOp::And, sum, mask);
    let link = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.set_xreg(i.rd, link);
    e.jump(target);
    Ok(())
}

fn beq<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let c = e.cmp(Cond::Eq, a, b);
    e.branch(c, e.pc().wrapping_add(i.imm as u64));
    Ok(())
}

fn add<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = e.bin(BinOp::Add, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn addi<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let b = e.imm(i.imm as u64);
    let v = e.bin(BinOp::Add, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

fn ld<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let base = e.xreg(i.rs1);
    let off = e.imm(i.imm as u64);
    let addr = e.bin(BinOp::Add, base, off);
    let v = e.load(addr, Width::D, true)?;
    e.set_xreg(i.rd, v);
    Ok(())
}

fn sd<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let base = e.xreg(i.rs1);
    let off = e.imm(i.imm as u64);
    let addr = e.bin(BinOp::Add, base, off);
    let v = e.xreg(i.rs2);
    e.store(addr, v, Width::D)
}

fn ecall<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    Err(e.trap(Cause::EcallFromU, 0))
}

fn fence_i<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    e.fence(FenceKind::Instruction);
    let next = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.jump(next);
    Ok(())
}
