//! Runs every guest program of `testsuites/linux` under `xlate run` with each engine
//! (see `common::engines`) and checks its exact stdout and exit status against
//! `testsuites/linux/expected/` (generated with qemu-riscv64 and checked against the
//! RISC-V spec; see testsuites/README.md). One #[test] per case, so nextest runs them
//! in parallel and reports each by name.

use crate::common;

use common::{Case, Status};

/// Runs one case under every engine and reports all mismatches together.
fn check(name: &str) {
    let case = Case::load(name);
    if case.dynamic && !common::require_sysroot(name) {
        return;
    }
    let mut failures = Vec::new();
    for engine in common::engines() {
        let out = case.run_xlate(&engine);
        let mut problems = Vec::new();
        if !out.status.matches_guest(case.expected_status) {
            problems.push(format!(
                "  status: expected {} (as a guest status), got {}",
                case.expected_status, out.status
            ));
        }
        if out.stdout != case.expected_stdout {
            problems.push(format!(
                "  stdout differs:\n{}",
                common::diff(&case.expected_stdout, &out.stdout, 12)
            ));
        }
        let err = out.stderr_text();
        if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
            problems.push("  xlate panicked".to_string());
        }
        // stdout and stderr belong to the guest (DESIGN.md), and none of these guests
        // writes to stderr when it exits normally; xlate may only add its own lines
        // when asked to (XLATE_LOG) or when the guest dies by a signal.
        let normal_exit = matches!(out.status, Status::Code(c) if c < 128);
        if normal_exit && !err.is_empty() && std::env::var_os("XLATE_LOG").is_none() {
            problems.push("  unexpected output on stderr".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "[engine {engine}] {name}:\n{}\n  stderr:\n{}",
                problems.join("\n"),
                indent(&err)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn indent(text: &str) -> String {
    let text: String = text.chars().take(4000).collect();
    text.lines().map(|l| format!("    {l}\n")).collect()
}

macro_rules! guest_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
        /// Every case listed above, to check that the list is complete.
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

common::with_guest_cases!(guest_tests);

/// The macro list, the expected files and the built programs must agree, so that a
/// new program cannot be silently left untested.
#[test]
fn every_case_is_listed_and_every_program_has_a_case() {
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        listed,
        Case::all_names(),
        "guest_tests! list and testsuites/linux/expected/*.stdout differ"
    );
    let used: Vec<String> = Case::all_names()
        .iter()
        .map(|n| {
            Case::load(n)
                .program
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for entry in std::fs::read_dir(common::bin_dir()).expect("testsuites/linux/bin") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            used.contains(&name),
            "testsuites/linux/bin/{name} is not run by any test case"
        );
    }
}

/// The status-matching rule itself: a guest signal may surface either way, but only
/// as the same signal.
#[test]
fn guest_status_matching() {
    assert!(Status::Code(139).matches_guest(139));
    assert!(Status::Signal(11).matches_guest(139));
    assert!(!Status::Signal(11).matches_guest(132));
    assert!(!Status::Signal(4).matches_guest(4));
    assert!(!Status::Code(0).matches_guest(139));
    assert!(!Status::TimedOut.matches_guest(0));
}

/// The count in parentheses, "(N after a gap)", of the `--stats` field holding `key`.
fn after_gap(err: &str, key: &str) -> u64 {
    err.split([',', '\n'])
        .find(|f| f.contains(key))
        .and_then(|f| {
            f.split_once('(')?
                .1
                .strip_suffix(" after a gap)")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {key:?} (N after a gap) in {err:?}"))
}

/// sig_pressure is there for the JIT's landing pads after a gap (`translator::jit::pad`):
/// some of its faults must be at loads or stores the register allocator put instructions
/// before (after their bound check), or its case above would check nothing of those. Its
/// output is still exactly the expected one.
#[test]
fn sig_pressure_faults_after_a_gap() {
    if !translator::jit::fault::SUPPORTED {
        return;
    }
    let out = common::Run::xlate()
        .args(["run", "--engine", "jit", "--stats"])
        .arg(common::bin_dir().join("sig_pressure"))
        .run_expecting("sig_pressure");
    let err = out.stderr_text();
    let gaps = after_gap(&err, "accesses checked by the host MMU");
    assert!(gaps > 0, "no access after a gap: {err}");
    // Its `sd` walker's store: 2 rounds, on an unmapped and on a read-only page.
    let landed = after_gap(&err, "that faulted there");
    assert!(landed >= 4, "{landed} faults after a gap: {err}");
}

/// `--stats` splits the main thread's time between translated code, the interpreter and
/// compiling, and counts the dispatcher's lookups: on a hot loop, time in translated code,
/// parts that add up to at most the wall time, lookups found in the jump cache. A program
/// that rewrites its translated code has code dropped (whole flushes or pages).
#[test]
fn jit_stats_split_the_time_and_count_lookups() {
    let out = common::Run::xlate()
        .args(["run", "--engine", "jit", "--stats"])
        .arg(common::bin_dir().join("bench_sieve"))
        .run();
    assert_eq!(out.status, Status::Code(0), "{out:?}");
    let err = out.stderr_text();
    let wall = common::stat(&err, " s wall");
    let jit = common::stat(&err, " s in translated code");
    let interp = common::stat(&err, " s interpreting");
    let compile = common::stat(&err, " s compiling");
    let elsewhere = common::stat(&err, " s elsewhere (system calls");
    assert!(jit > 0.0 && compile > 0.0, "{err}");
    assert!(jit + interp + compile <= wall + 0.002, "{err}");
    assert!(
        (jit + interp + compile + elsewhere - wall).abs() < 0.004,
        "{err}"
    );
    assert!(
        common::stat(&err, " dispatcher lookups found in the jump cache") >= 1.0,
        "{err}"
    );
    assert!(common::stat(&err, " in the block map") >= 1.0, "{err}");

    let out = common::Run::xlate()
        .args(["run", "--engine", "jit", "--jit-threshold", "1", "--stats"])
        .arg(common::bin_dir().join("smc"))
        .run();
    assert_eq!(out.status, Status::Code(0), "{out:?}");
    let err = out.stderr_text();
    let dropped = common::stat(&err, " code flushes") + common::stat(&err, " page invalidations");
    assert!(dropped >= 1.0, "{err}");
}

/// A file page past the end of its file (sig_bus_file) raises the guest's SIGBUS from
/// translated code too: the host's own SIGBUS at the access resumes at its landing pad, and
/// the interpreter raises the guest's (the expected output is checked under every engine).
#[test]
fn bus_errors_from_translated_code_reach_the_guest() {
    let out = common::Run::xlate()
        .args(["run", "--engine", "jit", "--jit-threshold", "1", "--stats"])
        .arg(common::bin_dir().join("sig_bus_file"))
        .run_expecting("sig_bus_file");
    let err = out.stderr_text();
    // "N that faulted there (M after a gap)"
    let faulted = err
        .split([',', '\n'])
        .find_map(|f| {
            let (n, rest) = f.trim().split_once(' ')?;
            rest.starts_with("that faulted there")
                .then(|| n.parse::<u64>().ok())?
        })
        .unwrap_or_else(|| panic!("no fault count in {err}"));
    assert!(faulted >= 8, "{err}");
}

/// A guest that emits code like a JIT (jit_emit) keeps its other translations: a store into
/// a page holding translated code drops that page's code only, and fence.i drops nothing
/// more, except after its stores through a second (shared) mapping, which only fence.i
/// reveals. Without that, each of its 64 fence.i dropped every translation, the loop that
/// calls the new functions included.
#[test]
fn a_jit_like_guest_keeps_its_translations() {
    let out = common::Run::xlate()
        .args(["run", "--engine", "jit", "--stats"])
        .arg(common::bin_dir().join("jit_emit"))
        .run_expecting("jit_emit");
    let err = out.stderr_text();
    // The three fence.i after stores through the file's second mapping.
    assert_eq!(common::stat(&err, " code flushes"), 3.0, "{err}");
    // Seven functions emitted after the first on each of 8 pages, and 2 patches.
    assert!(common::stat(&err, " page invalidations") >= 58.0, "{err}");
}
