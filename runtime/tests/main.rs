//! The runtime's tests: ELF loading, the Linux syscall layer and the privileged machine.
//!
//! One test binary per package: release test binaries each re-instantiate the engines' generic
//! code and link with LTO, so one binary instead of one per file saves most of CI's build
//! time. Each file here is a module; `every_test_file_is_a_module` (in the root
//! package's tests/main.rs) keeps the list complete.

mod embedding;
mod loader;
mod machine;
#[allow(dead_code)] // generated: exports every label, not all are used
mod machine_code;
mod machine_smc;
mod syscalls;
