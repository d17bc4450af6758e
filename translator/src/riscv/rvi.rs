//! RV64I base integer instructions and Zifencei (RISC-V Unprivileged ISA 20191213, chapters 2,
//! 3 and 5: RV32I, Zifencei, RV64I).
//!
//! Every semantic function is a few emitter calls; the shared shapes (register-register,
//! register-immediate, load, store, branch) are `#[inline(always)]` helpers taking the operation
//! as a constant, so each instruction monomorphizes to straight-line code per emitter.

use crate::decode::{Imm, Insn, Sem, Table};
use crate::emit::{BinOp, Cond, Emitter, FenceKind, UnOp, Width};
use crate::{Cause, Exception};

type R = Result<(), Exception>;

pub fn register<E: Emitter>(t: &mut Table<E>) {
    #[rustfmt::skip]
    let lines: &[(&'static str, &str, Imm, bool, Sem<E>)] = &[
        // name        pattern                                   imm          ends   semantics
        ("lui",       "....... ..... ..... ... ..... 0110111", Imm::U,      false, lui),
        ("auipc",     "....... ..... ..... ... ..... 0010111", Imm::U,      false, auipc),
        ("jal",       "....... ..... ..... ... ..... 1101111", Imm::J,      true,  jal),
        ("jalr",      "....... ..... ..... 000 ..... 1100111", Imm::I,      true,  jalr),
        ("beq",       "....... ..... ..... 000 ..... 1100011", Imm::B,      true,  beq),
        ("bne",       "....... ..... ..... 001 ..... 1100011", Imm::B,      true,  bne),
        ("blt",       "....... ..... ..... 100 ..... 1100011", Imm::B,      true,  blt),
        ("bge",       "....... ..... ..... 101 ..... 1100011", Imm::B,      true,  bge),
        ("bltu",      "....... ..... ..... 110 ..... 1100011", Imm::B,      true,  bltu),
        ("bgeu",      "....... ..... ..... 111 ..... 1100011", Imm::B,      true,  bgeu),
        ("lb",        "....... ..... ..... 000 ..... 0000011", Imm::I,      false, lb),
        ("lh",        "....... ..... ..... 001 ..... 0000011", Imm::I,      false, lh),
        ("lw",        "....... ..... ..... 010 ..... 0000011", Imm::I,      false, lw),
        ("ld",        "....... ..... ..... 011 ..... 0000011", Imm::I,      false, ld),
        ("lbu",       "....... ..... ..... 100 ..... 0000011", Imm::I,      false, lbu),
        ("lhu",       "....... ..... ..... 101 ..... 0000011", Imm::I,      false, lhu),
        ("lwu",       "....... ..... ..... 110 ..... 0000011", Imm::I,      false, lwu),
        ("sb",        "....... ..... ..... 000 ..... 0100011", Imm::S,      false, sb),
        ("sh",        "....... ..... ..... 001 ..... 0100011", Imm::S,      false, sh),
        ("sw",        "....... ..... ..... 010 ..... 0100011", Imm::S,      false, sw),
        ("sd",        "....... ..... ..... 011 ..... 0100011", Imm::S,      false, sd),
        ("addi",      "....... ..... ..... 000 ..... 0010011", Imm::I,      false, addi),
        ("slti",      "....... ..... ..... 010 ..... 0010011", Imm::I,      false, slti),
        ("sltiu",     "....... ..... ..... 011 ..... 0010011", Imm::I,      false, sltiu),
        ("xori",      "....... ..... ..... 100 ..... 0010011", Imm::I,      false, xori),
        ("ori",       "....... ..... ..... 110 ..... 0010011", Imm::I,      false, ori),
        ("andi",      "....... ..... ..... 111 ..... 0010011", Imm::I,      false, andi),
        ("slli",      "000000 ...... ..... 001 ..... 0010011", Imm::Shamt6, false, slli),
        ("srli",      "000000 ...... ..... 101 ..... 0010011", Imm::Shamt6, false, srli),
        ("srai",      "010000 ...... ..... 101 ..... 0010011", Imm::Shamt6, false, srai),
        ("add",       "0000000 ..... ..... 000 ..... 0110011", Imm::None,   false, add),
        ("sub",       "0100000 ..... ..... 000 ..... 0110011", Imm::None,   false, sub),
        ("sll",       "0000000 ..... ..... 001 ..... 0110011", Imm::None,   false, sll),
        ("slt",       "0000000 ..... ..... 010 ..... 0110011", Imm::None,   false, slt),
        ("sltu",      "0000000 ..... ..... 011 ..... 0110011", Imm::None,   false, sltu),
        ("xor",       "0000000 ..... ..... 100 ..... 0110011", Imm::None,   false, xor),
        ("srl",       "0000000 ..... ..... 101 ..... 0110011", Imm::None,   false, srl),
        ("sra",       "0100000 ..... ..... 101 ..... 0110011", Imm::None,   false, sra),
        ("or",        "0000000 ..... ..... 110 ..... 0110011", Imm::None,   false, or),
        ("and",       "0000000 ..... ..... 111 ..... 0110011", Imm::None,   false, and),
        // FENCE: any fm/pred/succ. rd and rs1 are reserved for future use and should be zero;
        // like hardware, we ignore them rather than trap, so they are `.` here. FENCE.TSO and
        // PAUSE are particular FENCEs (named lines only for the disassembler; same semantics).
        ("fence",     "....... ..... ..... 000 ..... 0001111", Imm::None,   false, fence),
        ("fence.tso", "1000 0011 0011 00000 000 00000 0001111", Imm::None,  false, fence),
        ("pause",     "0000 0001 0000 00000 000 00000 0001111", Imm::None,  false, fence),
        // Zifencei: the immediate, rs1 and rd are reserved for future use and ignored.
        ("fence.i",   "....... ..... ..... 001 ..... 0001111", Imm::None,   true,  fence_i),
        ("ecall",     "0000000 00000 00000 000 00000 1110011", Imm::None,   true,  ecall),
        ("ebreak",    "0000000 00001 00000 000 00000 1110011", Imm::None,   true,  ebreak),
        ("addiw",     "....... ..... ..... 000 ..... 0011011", Imm::I,      false, addiw),
        // shamt[5] = 1 is reserved for the *W shifts: bit 25 is fixed to 0.
        ("slliw",     "0000000 ..... ..... 001 ..... 0011011", Imm::Shamt5, false, slliw),
        ("srliw",     "0000000 ..... ..... 101 ..... 0011011", Imm::Shamt5, false, srliw),
        ("sraiw",     "0100000 ..... ..... 101 ..... 0011011", Imm::Shamt5, false, sraiw),
        ("addw",      "0000000 ..... ..... 000 ..... 0111011", Imm::None,   false, addw),
        ("subw",      "0100000 ..... ..... 000 ..... 0111011", Imm::None,   false, subw),
        ("sllw",      "0000000 ..... ..... 001 ..... 0111011", Imm::None,   false, sllw),
        ("srlw",      "0000000 ..... ..... 101 ..... 0111011", Imm::None,   false, srlw),
        ("sraw",      "0100000 ..... ..... 101 ..... 0111011", Imm::None,   false, sraw),
    ];
    for &(name, pattern, imm, ends_block, sem) in lines {
        t.add(name, pattern, imm, ends_block, sem);
    }
}

// ---- shared shapes (also used by the other integer extensions) ----

/// `rd = op(rs1, rs2)`.
#[inline(always)]
pub(crate) fn rr<E: Emitter>(e: &mut E, i: &Insn, op: BinOp) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = e.bin(op, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = op(rs1, imm)`.
#[inline(always)]
pub(crate) fn ri<E: Emitter>(e: &mut E, i: &Insn, op: BinOp) -> R {
    let a = e.xreg(i.rs1);
    let b = e.imm(i.imm as u64);
    let v = e.bin(op, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = sext32(op(rs1, rs2))`.
#[inline(always)]
fn rr_w<E: Emitter>(e: &mut E, i: &Insn, op: BinOp) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = e.bin(op, a, b);
    let v = e.un(UnOp::Sext32, v);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = cmp(rs1, rs2)`: 1 or 0.
#[inline(always)]
fn set_rr<E: Emitter>(e: &mut E, i: &Insn, c: Cond) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let v = e.cmp(c, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rd = cmp(rs1, imm)`: 1 or 0.
#[inline(always)]
fn set_ri<E: Emitter>(e: &mut E, i: &Insn, c: Cond) -> R {
    let a = e.xreg(i.rs1);
    let b = e.imm(i.imm as u64);
    let v = e.cmp(c, a, b);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// `rs1 + imm`, the effective address of loads and stores.
#[inline(always)]
fn ea<E: Emitter>(e: &mut E, i: &Insn) -> E::V {
    let base = e.xreg(i.rs1);
    let off = e.imm(i.imm as u64);
    e.bin(BinOp::Add, base, off)
}

/// Load into rd. With rd = x0 the access is still performed (it can fault).
#[inline(always)]
fn load<E: Emitter>(e: &mut E, i: &Insn, w: Width, signed: bool) -> R {
    let addr = ea(e, i);
    let v = e.load(addr, w, signed)?;
    e.set_xreg(i.rd, v);
    Ok(())
}

#[inline(always)]
fn store<E: Emitter>(e: &mut E, i: &Insn, w: Width) -> R {
    let addr = ea(e, i);
    let v = e.xreg(i.rs2);
    e.store(addr, v, w)
}

#[inline(always)]
fn branch<E: Emitter>(e: &mut E, i: &Insn, c: Cond) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let taken = e.cmp(c, a, b);
    e.branch(taken, e.pc().wrapping_add(i.imm as u64));
    Ok(())
}

// ---- upper immediates and jumps ----

pub(crate) fn lui<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let v = e.imm(i.imm as u64);
    e.set_xreg(i.rd, v);
    Ok(())
}

pub(crate) fn auipc<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let v = e.imm(e.pc().wrapping_add(i.imm as u64));
    e.set_xreg(i.rd, v);
    Ok(())
}

pub(crate) fn jal<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let link = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.set_xreg(i.rd, link);
    let target = e.imm(e.pc().wrapping_add(i.imm as u64));
    e.jump(target);
    Ok(())
}

pub(crate) fn jalr<E: Emitter>(e: &mut E, i: &Insn) -> R {
    // Read rs1 before writing rd: they may be the same register.
    let sum = ea(e, i);
    let mask = e.imm(!1);
    let target = e.bin(BinOp::And, sum, mask);
    let link = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.set_xreg(i.rd, link);
    e.jump(target);
    Ok(())
}

pub(crate) fn beq<E: Emitter>(e: &mut E, i: &Insn) -> R {
    branch(e, i, Cond::Eq)
}
pub(crate) fn bne<E: Emitter>(e: &mut E, i: &Insn) -> R {
    branch(e, i, Cond::Ne)
}
pub(crate) fn blt<E: Emitter>(e: &mut E, i: &Insn) -> R {
    branch(e, i, Cond::LtS)
}
pub(crate) fn bge<E: Emitter>(e: &mut E, i: &Insn) -> R {
    branch(e, i, Cond::GeS)
}
pub(crate) fn bltu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    branch(e, i, Cond::LtU)
}
pub(crate) fn bgeu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    branch(e, i, Cond::GeU)
}

// ---- loads and stores ----

pub(crate) fn lb<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::B, true)
}
pub(crate) fn lh<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::H, true)
}
pub(crate) fn lw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::W, true)
}
pub(crate) fn ld<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::D, true)
}
pub(crate) fn lbu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::B, false)
}
pub(crate) fn lhu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::H, false)
}
pub(crate) fn lwu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    load(e, i, Width::W, false)
}
pub(crate) fn sb<E: Emitter>(e: &mut E, i: &Insn) -> R {
    store(e, i, Width::B)
}
pub(crate) fn sh<E: Emitter>(e: &mut E, i: &Insn) -> R {
    store(e, i, Width::H)
}
pub(crate) fn sw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    store(e, i, Width::W)
}
pub(crate) fn sd<E: Emitter>(e: &mut E, i: &Insn) -> R {
    store(e, i, Width::D)
}

// ---- register-immediate ----

pub(crate) fn addi<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Add)
}
pub(crate) fn slti<E: Emitter>(e: &mut E, i: &Insn) -> R {
    set_ri(e, i, Cond::LtS)
}
/// The immediate is sign-extended, then compared unsigned.
pub(crate) fn sltiu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    set_ri(e, i, Cond::LtU)
}
pub(crate) fn xori<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Xor)
}
pub(crate) fn ori<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Or)
}
pub(crate) fn andi<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::And)
}
pub(crate) fn slli<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Shl)
}
pub(crate) fn srli<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Shr)
}
pub(crate) fn srai<E: Emitter>(e: &mut E, i: &Insn) -> R {
    ri(e, i, BinOp::Sar)
}

// ---- register-register (the emitter takes 64-bit shift amounts modulo 64) ----

pub(crate) fn add<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Add)
}
pub(crate) fn sub<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Sub)
}
pub(crate) fn sll<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Shl)
}
pub(crate) fn slt<E: Emitter>(e: &mut E, i: &Insn) -> R {
    set_rr(e, i, Cond::LtS)
}
pub(crate) fn sltu<E: Emitter>(e: &mut E, i: &Insn) -> R {
    set_rr(e, i, Cond::LtU)
}
pub(crate) fn xor<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Xor)
}
pub(crate) fn srl<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Shr)
}
pub(crate) fn sra<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Sar)
}
pub(crate) fn or<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::Or)
}
pub(crate) fn and<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr(e, i, BinOp::And)
}

// ---- memory ordering and environment ----

pub(crate) fn fence<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    e.fence(FenceKind::Data);
    Ok(())
}

pub(crate) fn fence_i<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    e.fence(FenceKind::Instruction);
    let next = e.imm(e.pc().wrapping_add(e.insn_len()));
    e.jump(next);
    Ok(())
}

pub(crate) fn ecall<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    Err(e.trap(Cause::EcallFromU, 0))
}

/// The trap value of a breakpoint is the address of the `ebreak` (privileged spec, `xtval`).
pub(crate) fn ebreak<E: Emitter>(e: &mut E, _i: &Insn) -> R {
    let pc = e.pc();
    Err(e.trap(Cause::Breakpoint, pc))
}

// ---- RV64I word operations: 32-bit results sign-extended to 64 bits ----

pub(crate) fn addiw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    let a = e.xreg(i.rs1);
    let b = e.imm(i.imm as u64);
    let v = e.bin(BinOp::Add, a, b);
    let v = e.un(UnOp::Sext32, v);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// Shift the 32-bit value `a` by `sh` (already in 0..32) and sign-extend the result.
#[inline(always)]
fn shift_w<E: Emitter>(e: &mut E, op: BinOp, a: E::V, sh: E::V) -> E::V {
    let a = match op {
        // Right shifts see only the low 32 bits, zero- or sign-extended.
        BinOp::Shr => e.un(UnOp::Zext32, a),
        BinOp::Sar => e.un(UnOp::Sext32, a),
        _ => a,
    };
    let v = e.bin(op, a, sh);
    e.un(UnOp::Sext32, v)
}

#[inline(always)]
fn shift_wi<E: Emitter>(e: &mut E, i: &Insn, op: BinOp) -> R {
    let a = e.xreg(i.rs1);
    let sh = e.imm(i.imm as u64);
    let v = shift_w(e, op, a, sh);
    e.set_xreg(i.rd, v);
    Ok(())
}

/// Register W shifts use only the low 5 bits of rs2.
#[inline(always)]
fn shift_wr<E: Emitter>(e: &mut E, i: &Insn, op: BinOp) -> R {
    let (a, b) = (e.xreg(i.rs1), e.xreg(i.rs2));
    let m = e.imm(31);
    let sh = e.bin(BinOp::And, b, m);
    let v = shift_w(e, op, a, sh);
    e.set_xreg(i.rd, v);
    Ok(())
}

pub(crate) fn slliw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shift_wi(e, i, BinOp::Shl)
}
pub(crate) fn srliw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shift_wi(e, i, BinOp::Shr)
}
pub(crate) fn sraiw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shift_wi(e, i, BinOp::Sar)
}
pub(crate) fn addw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr_w(e, i, BinOp::Add)
}
pub(crate) fn subw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    rr_w(e, i, BinOp::Sub)
}
pub(crate) fn sllw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shift_wr(e, i, BinOp::Shl)
}
pub(crate) fn srlw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shift_wr(e, i, BinOp::Shr)
}
pub(crate) fn sraw<E: Emitter>(e: &mut E, i: &Insn) -> R {
    shift_wr(e, i, BinOp::Sar)
}
