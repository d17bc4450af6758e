//! The RISC-V RV64GC guest: one module per extension, each registering its decode-table lines
//! and semantic functions (RISC-V Unprivileged ISA, version 20191213, plus Zba/Zbb/Zbs 1.0).

pub mod privileged;
pub mod rva;
pub mod rvc;
pub mod rvd;
pub mod rvf;
pub mod rvi;
pub mod rvm;
pub mod zb;
pub mod zicsr;

use crate::decode::Table;
use crate::emit::Emitter;

/// The full RV64GC + Zba/Zbb/Zbs decode table for emitter `E`.
pub fn table<E: Emitter>() -> Table<E> {
    let mut t = Table::new();
    rvi::register(&mut t);
    rvm::register(&mut t);
    rva::register(&mut t);
    rvf::register(&mut t);
    rvd::register(&mut t);
    zicsr::register(&mut t);
    zb::register(&mut t);
    privileged::register(&mut t);
    t
}
