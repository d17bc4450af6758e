//! What `xlate run` does with things it cannot or must not run: files that are not
//! riscv64 Linux programs, missing files, bad command lines, and guests that crash.
//!
//! xlate's own failures use their own exit statuses, distinct from anything a guest
//! exits with (DESIGN.md, "Conventions users expect"), and say so in one line:
//!   126  cannot execute this file (not an ELF, wrong machine or class, truncated or
//!        corrupt, a directory, a dynamic program whose interpreter is missing)
//!   127  file not found
//!   2    bad command-line usage
//! and never a panic or a backtrace. A guest that dies by signal N makes xlate exit
//! with 128+N or die by signal N itself (see `common::Status::matches_guest`).

use crate::common;

use common::{bad_dir, bin_dir, Output, Run, Status};
use std::path::Path;

const CANNOT_EXECUTE: i32 = 126;
const NOT_FOUND: i32 = 127;
const USAGE: i32 = 2;

fn xlate_run(program: &Path) -> Output {
    let scratch = common::Scratch::new("bad");
    Run::xlate()
        .arg("run")
        .arg(program)
        .cwd(&scratch.path)
        .run()
}

/// xlate refuses `file` as not executable, with a line that says why (`why`).
fn assert_says(file: &Path, why: &str) {
    let err = assert_refused(file, CANNOT_EXECUTE);
    assert!(
        err.contains(why),
        "{}: the error should say {why:?}: {err}",
        file.display()
    );
}

/// xlate refuses `file` with `status` and exactly one line on stderr naming the file.
fn assert_refused(file: &Path, status: i32) -> String {
    let what = file.display().to_string();
    let out = xlate_run(file);
    common::assert_no_panic(&what, &out);
    let err = out.stderr_text();
    assert_eq!(
        out.status,
        Status::Code(status),
        "{what}: expected exit code {status}; stderr:\n{err}"
    );
    assert!(out.stdout.is_empty(), "{what}: nothing may go to stdout");
    assert!(
        err.ends_with('\n') && err.trim_end().lines().count() == 1 && !err.trim().is_empty(),
        "{what}: expected exactly one line on stderr, got:\n{err}"
    );
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        err.contains(name.as_ref()),
        "{what}: the error line should name the file: {err}"
    );
    err
}

#[test]
fn text_file() {
    assert_says(&bad_dir().join("text.txt"), "not an ELF");
}

#[test]
fn empty_file() {
    assert_says(&bad_dir().join("empty"), "empty");
}

#[test]
fn truncated_elf() {
    // the first 100 bytes of a riscv64 ELF: the header is fine, the rest is missing
    assert_says(&bad_dir().join("truncated"), "truncated");
}

#[test]
fn garbage_program_headers() {
    assert_says(&bad_dir().join("garbage_phdrs"), "past the end");
}

#[test]
fn program_headers_past_end_of_file() {
    assert_says(&bad_dir().join("phdrs_past_eof"), "truncated");
}

#[test]
fn wrong_machine_in_header() {
    // a riscv64 static-pie whose e_machine says EM_AARCH64
    assert_says(&bad_dir().join("wrong_machine"), "AArch64");
}

#[test]
fn x86_64_elf() {
    assert_says(&bad_dir().join("x86_64"), "x86-64");
}

#[test]
fn aarch64_elf() {
    // Committed (testsuites/build.sh builds it where aarch64-linux-gnu-gcc is installed).
    assert_says(&bad_dir().join("aarch64"), "AArch64");
}

#[test]
fn riscv32_elf() {
    assert_says(&bad_dir().join("rv32"), "RV32");
}

#[test]
fn directory() {
    assert_says(&bad_dir().join("directory"), "directory");
}

#[test]
fn missing_file() {
    assert_refused(&bad_dir().join("no-such-program"), NOT_FOUND);
}

#[test]
fn dynamic_program_without_ld_prefix() {
    // Without -L the interpreter /lib/ld-linux-riscv64-lp64d.so.1 is looked up on the
    // host, where it does not exist: the program cannot be executed (126), and the
    // message must point the user to -L.
    if Path::new("/lib/ld-linux-riscv64-lp64d.so.1").exists() {
        eprintln!("SKIPPED: this host has a riscv64 dynamic loader in /lib");
        return;
    }
    let err = assert_refused(&bin_dir().join("hello_dyn"), CANNOT_EXECUTE);
    assert!(err.contains("-L"), "the message should mention -L: {err}");
}

fn assert_usage_error(args: &[&str], mention: &str) {
    let out = Run::xlate().args(args).run();
    let what = format!("xlate {}", args.join(" "));
    common::assert_no_panic(&what, &out);
    let err = out.stderr_text();
    assert_eq!(out.status, Status::Code(USAGE), "{what}: stderr:\n{err}");
    assert!(
        err.contains(mention),
        "{what}: stderr should mention {mention:?}:\n{err}"
    );
}

#[test]
fn unknown_flag() {
    assert_usage_error(&["run", "--no-such-flag", "x"], "--no-such-flag");
}

#[test]
fn run_without_program() {
    let out = Run::xlate().arg("run").run();
    common::assert_no_panic("xlate run", &out);
    assert_eq!(
        out.status,
        Status::Code(USAGE),
        "stderr:\n{}",
        out.stderr_text()
    );
    assert!(
        !out.stderr.is_empty(),
        "xlate run: a usage message is expected on stderr"
    );
}

/// A guest that crashes: its output so far arrives, and xlate ends like the guest.
fn assert_guest_killed(prog: &str, expected: i32, stdout: &str) {
    let out = xlate_run(&bin_dir().join(prog));
    common::assert_no_panic(prog, &out);
    assert!(
        out.status.matches_guest(expected),
        "{prog}: expected exit code {expected} or death by signal {}, got {}; stderr:\n{}",
        expected - 128,
        out.status,
        out.stderr_text()
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        stdout,
        "{prog}: stdout"
    );
}

#[test]
fn guest_jumps_into_garbage_gets_sigill() {
    assert_guest_killed(
        "jump_garbage",
        128 + 4,
        "jumping into an illegal instruction\n",
    );
}

#[test]
fn guest_jumps_to_unmapped_memory_gets_sigsegv() {
    assert_guest_killed("jump_unmapped", 128 + 11, "jumping to unmapped memory\n");
}

#[test]
fn guest_reads_unmapped_memory_gets_sigsegv() {
    assert_guest_killed(
        "memfault",
        128 + 11,
        "mapped and written: 42\nabout to read the unmapped page\n",
    );
}
