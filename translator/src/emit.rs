//! The seam between instruction semantics and engines.
//!
//! Every guest instruction's meaning is written exactly once, as a function generic over
//! [`Emitter`]. The interpreter implements `Emitter` by computing values at once; the JIT
//! implements it by building Cranelift IR. Values are opaque (`Emitter::V`): 64-bit integers
//! (floating-point registers are carried as their raw 64-bit patterns).
//!
//! Conventions every emitter follows:
//! * `xreg(0)` reads zero and `set_xreg(0, _)` is ignored.
//! * Shift amounts given to `Shl`/`Shr`/`Sar`/`Rotl`/`Rotr` are taken modulo 64 by the emitter.
//! * `DivS`/`DivU`/`RemS`/`RemU` are only emitted with a divisor the semantics made safe (not
//!   zero, not `i64::MIN / -1`): the RISC-V results for those cases are written in the semantics.
//! * Memory accesses may fault; a fault ends the instruction with the returned `Exception`.
//! * Control flow: `branch` and `jump` end the block; they are the last thing an instruction does.
//! * An illegal-instruction exception raised below the semantics (by `csr` or a helper) may carry
//!   a trap value of 0; the engine replaces it with the instruction's bits, as `mtval` requires.

use crate::{CpuState, Exception};

/// Width of a memory access in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    B = 1,
    H = 2,
    W = 4,
    D = 8,
}

impl Width {
    pub const fn bytes(self) -> u64 {
        self as u64
    }

    /// Reads `self.bytes()` host bytes at `p` (any alignment: guest addresses may be
    /// unaligned), zero-extended.
    ///
    /// # Safety
    /// The bytes must be readable host memory.
    #[inline(always)]
    pub unsafe fn read_host(self, p: *const u8) -> u64 {
        // SAFETY: per the contract; unaligned reads.
        unsafe {
            match self {
                Width::B => u64::from(*p),
                Width::H => u64::from((p as *const u16).read_unaligned()),
                Width::W => u64::from((p as *const u32).read_unaligned()),
                Width::D => (p as *const u64).read_unaligned(),
            }
        }
    }

    /// Writes the low `self.bytes()` bytes of `v` to host memory at `p` (any alignment).
    ///
    /// # Safety
    /// The bytes must be writable host memory.
    #[inline(always)]
    pub unsafe fn write_host(self, p: *mut u8, v: u64) {
        // SAFETY: per the contract; unaligned writes.
        unsafe {
            match self {
                Width::B => *p = v as u8,
                Width::H => (p as *mut u16).write_unaligned(v as u16),
                Width::W => (p as *mut u32).write_unaligned(v as u32),
                Width::D => (p as *mut u64).write_unaligned(v),
            }
        }
    }
}

/// Two-operand integer operations on 64-bit values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    And,
    Or,
    Xor,
    /// `a & !b`
    AndNot,
    /// `a | !b`
    OrNot,
    /// `!(a ^ b)`
    XorNot,
    Shl,
    /// Logical shift right.
    Shr,
    /// Arithmetic shift right.
    Sar,
    Rotl,
    Rotr,
    /// Low 64 bits of the product.
    Mul,
    /// High 64 bits of signed x signed.
    MulHS,
    /// High 64 bits of unsigned x unsigned.
    MulHU,
    /// High 64 bits of signed x unsigned.
    MulHSU,
    /// Signed division; divisor is never 0 and never `MIN / -1` (see module docs).
    DivS,
    DivU,
    RemS,
    RemU,
    MinS,
    MinU,
    MaxS,
    MaxU,
}

/// One-operand integer operations on 64-bit values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    Neg,
    /// Sign-extend the low 8/16/32 bits.
    Sext8,
    Sext16,
    Sext32,
    /// Zero-extend the low 8/16/32 bits.
    Zext8,
    Zext16,
    Zext32,
    /// Count leading zeros of the 64-bit value (64 for zero).
    Clz,
    /// Count trailing zeros (64 for zero).
    Ctz,
    /// Population count.
    Cpop,
    /// Byte swap.
    Rev8,
    /// Each byte becomes 0xff if non-zero, else 0x00 (Zbb `orc.b`).
    OrcB,
}

/// Integer comparisons; the result is 1 when true and 0 when false.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    Eq,
    Ne,
    LtS,
    GeS,
    LtU,
    GeU,
}

/// Atomic memory operations (A extension); the old memory value is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmoOp {
    Swap,
    Add,
    Xor,
    And,
    Or,
    Min,
    Max,
    MinU,
    MaxU,
}

/// Memory-ordering instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FenceKind {
    /// `fence` (data memory ordering).
    Data,
    /// `fence.i` (instruction stream synchronisation: translated code must be re-checked).
    Instruction,
}

/// How a CSR instruction combines the source with the old value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CsrOp {
    /// csrrw / csrrwi: new = src.
    Write,
    /// csrrs / csrrsi: new = old | src.
    Set,
    /// csrrc / csrrci: new = old & !src.
    Clear,
}

/// Privileged instructions whose effect is the machine's business (RISC-V Privileged ISA
/// 20211203, section 3.3): the semantics hand them to [`Emitter::system`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemOp {
    /// `mret`: return from a machine-mode trap.
    Mret,
    /// `sret`: return from a supervisor-mode trap.
    Sret,
    /// `wfi`: wait for interrupt.
    Wfi,
    /// `sfence.vma rs1, rs2`: the operands are the virtual address and the ASID.
    SfenceVma,
}

/// A function the semantics call for work that stays in Rust (soft-float, for example).
///
/// The function receives the CPU state and three arguments and returns one value. It may raise
/// an exception with [`CpuState::raise_from_helper`]; the engine then ends the instruction with
/// it. The JIT registers `f` under `name` and emits a call; the interpreter calls it directly.
pub struct Helper {
    pub name: &'static str,
    pub f: extern "C" fn(&mut CpuState, u64, u64, u64) -> u64,
    /// Whether the helper can raise an exception (engines may skip the check when it cannot).
    pub may_raise: bool,
    /// A host operation a compiling engine may emit inline instead of the call, under the
    /// conditions documented on [`FpFast`]; the helper stays the reference (and the slow path).
    /// The interpreter ignores it.
    pub fast: Option<FpFast>,
}

/// An inline fast path of a floating-point helper (see `fpu`'s helper conventions): the
/// operation on IEEE binary64 (`double`) or binary32 values, taken only when the host result is
/// provably the helper's, value and `fflags`: round to nearest even (a static `rm` of 0, or 7
/// with `frm` = 0), single operands properly NaN-boxed, and, for arithmetic, `NX` already set
/// in `fflags` and a result that rules out every other flag (see `jit/fp.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FpFast {
    pub op: FpFastOp,
    pub double: bool,
}

/// The operations of [`FpFast`], with where the helper takes its rounding-mode argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FpFastOp {
    /// `a + b`, `a - b`, `a * b`, `a / b`; rounding mode in `c`.
    Add,
    Sub,
    Mul,
    Div,
    /// `sqrt(a)`; rounding mode in `b`.
    Sqrt,
    /// `a * b + c` fused, with the static rounding-mode encoding `rm` (7: `frm`).
    Fma {
        rm: u8,
    },
    /// `fmin`/`fmax` of `a` and `b`.
    Min,
    Max,
    /// `feq`/`flt`/`fle` of `a` and `b` (0 or 1).
    Eq,
    Lt,
    Le,
}

/// Instruction semantics are written against this trait; see the module documentation.
pub trait Emitter {
    /// A 64-bit value: a number in the interpreter, an SSA value in the JIT.
    type V: Copy;

    /// Address of the instruction being executed or translated.
    fn pc(&self) -> u64;
    /// Its length in bytes (2 for a compressed instruction, 4 otherwise).
    fn insn_len(&self) -> u64;

    fn imm(&mut self, v: u64) -> Self::V;
    fn xreg(&mut self, r: u8) -> Self::V;
    fn set_xreg(&mut self, r: u8, v: Self::V);
    /// Raw 64-bit pattern of a floating-point register.
    fn freg(&mut self, r: u8) -> Self::V;
    fn set_freg(&mut self, r: u8, v: Self::V);

    fn bin(&mut self, op: BinOp, a: Self::V, b: Self::V) -> Self::V;
    fn un(&mut self, op: UnOp, a: Self::V) -> Self::V;
    /// 1 if `a cond b`, else 0.
    fn cmp(&mut self, cond: Cond, a: Self::V, b: Self::V) -> Self::V;
    /// `if c != 0 { t } else { f }`.
    fn select(&mut self, c: Self::V, t: Self::V, f: Self::V) -> Self::V;

    /// Load `w` bytes; the result is sign- or zero-extended to 64 bits.
    fn load(&mut self, addr: Self::V, w: Width, signed: bool) -> Result<Self::V, Exception>;
    /// Store the low `w` bytes of `val`.
    fn store(&mut self, addr: Self::V, val: Self::V, w: Width) -> Result<(), Exception>;
    /// `lr.w`/`lr.d`: load (sign-extended) and register a reservation. Misaligned addresses raise
    /// a load address-misaligned exception.
    fn load_reserved(&mut self, addr: Self::V, w: Width) -> Result<Self::V, Exception>;
    /// `sc.w`/`sc.d`: returns 0 on success, 1 on failure; always clears the reservation.
    fn store_conditional(
        &mut self,
        addr: Self::V,
        val: Self::V,
        w: Width,
    ) -> Result<Self::V, Exception>;
    /// Atomic read-modify-write; returns the old value (sign-extended for `W`). Misaligned
    /// addresses raise a store/AMO address-misaligned exception.
    fn amo(
        &mut self,
        op: AmoOp,
        addr: Self::V,
        val: Self::V,
        w: Width,
    ) -> Result<Self::V, Exception>;
    fn fence(&mut self, kind: FenceKind);

    /// Access CSR `csr`: returns the old value (when `read`) and writes the combination of the old
    /// value and `src` according to `op` (when `write`). Raises illegal instruction for a CSR
    /// that does not exist or may not be accessed this way.
    fn csr(
        &mut self,
        csr: u16,
        op: CsrOp,
        src: Self::V,
        read: bool,
        write: bool,
    ) -> Result<Self::V, Exception>;

    /// Call a Rust helper with three arguments.
    fn call(
        &mut self,
        h: &'static Helper,
        a: Self::V,
        b: Self::V,
        c: Self::V,
    ) -> Result<Self::V, Exception>;

    /// Conditional branch: if `cond != 0` continue at `target`, else at the next instruction.
    /// Ends the block.
    fn branch(&mut self, cond: Self::V, target: u64);
    /// Unconditional jump to a computed address. Ends the block.
    fn jump(&mut self, target: Self::V);
    /// A privileged instruction (`mret`, `sret`, `wfi`, `sfence.vma`) with operands `a` and `b`.
    /// It ends the block: the machine decides where execution continues (the next instruction
    /// unless the operation redirects, as `mret` does). The machine checks the privilege level
    /// and raises illegal instruction when it may not be executed. The default (a machine
    /// without privileged state, such as Linux user mode) raises illegal instruction.
    fn system(&mut self, op: SystemOp, a: Self::V, b: Self::V) -> Result<(), Exception> {
        let _ = (op, a, b);
        Err(self.trap(crate::Cause::IllegalInstruction, 0))
    }
    /// Called first by every floating-point instruction: raises illegal instruction when the
    /// machine has the FP unit off (`mstatus.FS` = Off), and may mark the FP state dirty. The
    /// default (user mode: always on) does nothing.
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        Ok(())
    }
    /// Build the exception `cause` with trap value `tval` at this instruction (for `ecall`,
    /// `ebreak`, illegal encodings); the semantics return it as `Err`.
    fn trap(&mut self, cause: crate::Cause, tval: u64) -> Exception;
}
