//! The translator's tests: instruction semantics, the interpreter and the JIT against each other.
//!
//! One test binary per package: release test binaries each re-instantiate the engines' generic
//! code and link with LTO, so one binary instead of one per file saves most of CI's build
//! time. Each file here is a module; `every_test_file_is_a_module` (in the root
//! package's tests/main.rs) keeps the list complete.

mod common;
mod fp;
mod host_faults;
mod integer;
mod interp_dispatch;
mod interp_links;
mod interp_x0;
mod jit;
mod jit_fp;
