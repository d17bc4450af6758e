//! xlate's runtime: the guest machine. Guest memory, ELF loading, the Linux syscall layer and
//! the execution loop that asks the translator's engines to run guest code and handles their
//! exits (syscalls, faults).

// Guest-controlled values never reach an unwrap (DESIGN.md); there is no exception today.
#![deny(clippy::unwrap_used)]

pub mod devices;
pub mod gdb;
pub mod limits;
pub mod linux;
pub mod machine;
pub mod mem;
pub mod trace;
