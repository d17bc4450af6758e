//! xlate's translator: guest ISA decoders, instruction semantics written once against an
//! emitter ([`emit::Emitter`]), and the engines that consume them (the interpreter here; the
//! Cranelift JIT builds on the same semantics).
//!
//! The translator knows nothing of Linux, devices or the command line. What it needs from a
//! machine is stated here: the CPU state layout ([`CpuState`]) and, for the interpreter, the
//! environment trait [`interp::Env`] (memory, CSRs, code-flush notifications).

// Guest-controlled values never reach an unwrap (DESIGN.md); there is no exception today.
#![deny(clippy::unwrap_used)]

pub mod decode;
pub mod emit;
mod exception;
pub mod fpu;
pub mod interp;
pub mod jit;
mod pcmap;
pub mod riscv;
mod state;

pub use exception::{Cause, Exception};
pub use state::{CpuState, StopAt, NO_RESERVATION};
