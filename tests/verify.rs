//! `xlate run --verify` (lockstep verification of the JIT against the interpreter): guest
//! programs run with every translated block checked give their exact normal output and
//! status, and a JIT deliberately mistranslating an instruction (XLATE_JIT_FAULT_INJECT) is
//! caught at the right block, register and values.

use crate::common;

use common::{Case, Output, Run, Scratch, Status};

/// Exit status of a run `--verify` stopped (README, "Checking the JIT").
const VERIFY_EXIT: i32 = 122;

/// Runs case `name` with `--verify --jit-threshold 1 --stats` (every block translated at its
/// first run, so nearly every instruction runs checked).
fn run_verified(case: &Case, extra_env: &[(&str, &str)]) -> Output {
    let scratch = Scratch::new(&format!("{}-verify", case.name));
    let mut run = Run::xlate()
        .args(["run", "--verify", "--jit-threshold", "1", "--stats"])
        .arg(&case.program)
        .args(&case.args)
        .stdin(case.stdin.clone())
        .cwd(&scratch.path);
    for (k, v) in &case.env {
        run = run.env(k.clone(), v.clone());
    }
    for (k, v) in extra_env {
        run = run.env(*k, *v);
    }
    run.run()
}

/// The number of checked entries `--stats` reports.
fn checked_entries(out: &Output) -> u64 {
    let err = out.stderr_text();
    let line = err
        .lines()
        .find(|l| l.starts_with("xlate: stats: verify: "))
        .unwrap_or_else(|| panic!("no verify statistics on stderr:\n{err}"));
    line["xlate: stats: verify: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad verify statistics line {line:?}"))
}

fn check_passes(name: &str) {
    let case = Case::load(name);
    let out = run_verified(&case, &[]);
    assert!(
        out.status.matches_guest(case.expected_status),
        "{name} under --verify: {} (expected status {}); stderr:\n{}",
        out.status,
        case.expected_status,
        out.stderr_text()
    );
    assert!(
        out.stdout == case.expected_stdout,
        "{name} under --verify: stdout differs:\n{}",
        common::diff(&case.expected_stdout, &out.stdout, 10)
    );
    assert!(
        !out.stderr_text().contains("xlate: verify:"),
        "{name}: unexpected verify report:\n{}",
        out.stderr_text()
    );
    assert!(
        checked_entries(&out) > 0,
        "{name}: nothing was checked:\n{}",
        out.stderr_text()
    );
}

macro_rules! passes {
    ($($test:ident = $name:literal;)*) => {$(
        #[test]
        fn $test() {
            check_passes($name);
        }
    )*};
}

passes! {
    verify_hello = "hello";
    verify_isa_int = "isa_int";
    verify_isa_zb = "isa_zb";
    verify_isa_fp = "isa_fp";
    verify_smc = "smc";
    verify_jit_emit = "jit_emit";
    verify_memfault = "memfault";
    verify_sig_segv = "sig_segv";
    verify_sig_loads = "sig_loads";
    verify_sig_stores = "sig_stores";
    verify_sig_pressure = "sig_pressure";
    verify_sig_ill = "sig_ill";
    verify_realistic = "realistic";
    verify_memory = "memory";
    verify_inject_clean = "verify_inject";
}

/// The entry point of a (stripped) guest program: the block verify_inject's mistranslated
/// `addw` is in.
fn entry_of(case: &Case) -> u64 {
    use object::Object;
    let data = std::fs::read(&case.program).expect("read the guest program");
    object::File::parse(&*data)
        .expect("parse the guest program")
        .entry()
}

#[test]
fn verify_catches_injected_miscompilation() {
    let case = Case::load("verify_inject");
    // The hook really makes the JIT wrong: without --verify the guest exits with 43, not 42.
    let scratch = Scratch::new("verify-inject-plain");
    let plain = Run::xlate()
        .args(["run", "--jit-threshold", "1"])
        .arg(&case.program)
        .env("XLATE_JIT_FAULT_INJECT", "addw")
        .cwd(&scratch.path)
        .run();
    assert_eq!(
        plain.status,
        Status::Code(43),
        "the injected addw should compute 43; stderr:\n{}",
        plain.stderr_text()
    );

    let out = run_verified(&case, &[("XLATE_JIT_FAULT_INJECT", "addw")]);
    let err = out.stderr_text();
    assert_eq!(out.status, Status::Code(VERIFY_EXIT), "stderr:\n{err}");
    assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);
    let entry = entry_of(&case);
    assert!(
        err.contains(&format!(
            "xlate: verify: translated block {entry:#x} differs from the interpreter (entered at instret 0)\n"
        )),
        "report does not name block {entry:#x}:\n{err}"
    );
    // The wrong register with the interpreter's (expected) and the JIT's value, and the
    // stack slot the wrong value was stored to.
    let line = |what: &str| {
        err.lines()
            .find(|l| l.starts_with(&format!("xlate: verify:   {what} ")))
            .unwrap_or_else(|| panic!("no line for {what} in the report:\n{err}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("x12 (a2)"),
        "xlate: verify: x12 (a2) expected 0x000000000000002a got 0x000000000000002b"
    );
    assert_eq!(
        line("x10 (a0)"),
        "xlate: verify: x10 (a0) expected 0x000000000000002a got 0x000000000000002b"
    );
    let mem = err
        .lines()
        .find(|l| l.starts_with("xlate: verify:   mem["))
        .unwrap_or_else(|| panic!("no memory difference in the report:\n{err}"));
    assert!(mem.ends_with("expected 0x2a  got 0x2b"), "{mem}");
    // Nothing else differs: pc, instret, the exception and the other registers agree.
    let diffs = err
        .lines()
        .filter(|l| l.starts_with("xlate: verify:   "))
        .count();
    assert_eq!(diffs, 3, "{err}");
    // The guest and host disassembly of the block.
    assert!(
        err.contains(&format!("{:x}:\t00b5063b\taddw\ta2, a0, a1", entry + 6)),
        "no guest disassembly of the addw:\n{err}"
    );
    assert!(
        err.contains("---- host code of the block (x86-64, ") && err.contains("\tretq"),
        "no host disassembly:\n{err}"
    );
}

#[test]
fn verify_needs_the_jit() {
    let out = Run::xlate()
        .args(["run", "--verify", "--engine", "interp"])
        .arg(common::bin_dir().join("hello"))
        .run();
    assert_eq!(out.status, Status::Code(2));
    let err = out.stderr_text();
    assert_eq!(
        err,
        "xlate: --verify checks the JIT against the interpreter: it needs --engine jit\n"
    );
}
