//! Synchronous exceptions as data (RISC-V privileged spec, `mcause`/`scause` exception codes).
//!
//! A guest fault is never a Rust error or a panic: engines stop at the faulting instruction with
//! an `Exception` and the runtime decides what it means (a syscall, a signal, a trap to M-mode).

/// Exception cause codes, numbered as in the `mcause` register (interrupt bit clear).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    InstructionMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,
    StoreAccessFault = 7,
    EcallFromU = 8,
    EcallFromS = 9,
    EcallFromM = 11,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,
}

impl Cause {
    /// The cause for an exception code, if it is one the spec defines.
    pub fn from_code(code: u64) -> Option<Self> {
        use Cause::*;
        Some(match code {
            0 => InstructionMisaligned,
            1 => InstructionAccessFault,
            2 => IllegalInstruction,
            3 => Breakpoint,
            4 => LoadMisaligned,
            5 => LoadAccessFault,
            6 => StoreMisaligned,
            7 => StoreAccessFault,
            8 => EcallFromU,
            9 => EcallFromS,
            11 => EcallFromM,
            12 => InstructionPageFault,
            13 => LoadPageFault,
            15 => StorePageFault,
            _ => return None,
        })
    }
}

/// A synchronous exception at a precise instruction: its cause and the trap value (`xtval`:
/// the faulting address for memory faults, the instruction bits for illegal instructions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    pub cause: Cause,
    pub tval: u64,
}

impl Exception {
    pub fn new(cause: Cause, tval: u64) -> Self {
        Self { cause, tval }
    }
}
