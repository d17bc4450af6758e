//! Differential tests against qemu-riscv64, the reference implementation: every
//! guest case runs under qemu and under `xlate run --engine E`, and stdout and exit
//! status must agree. A second test per case checks that the committed expectations
//! in testsuites/linux/expected still describe what qemu does, so that they cannot
//! drift from the reference unnoticed.
//!
//! Where qemu is known to disagree with the RISC-V spec or Linux, the case and the
//! lines concerned are listed in `KNOWN_QEMU_DIFFERENCES` with the reason; those
//! lines are left out of both comparisons (the expected files follow the spec).
//!
//! Without qemu-riscv64 installed the tests print a notice and pass, unless
//! XLATE_REQUIRE_QEMU=1 (CI), where that is a failure.

use crate::common;

use common::{Case, Output};
use std::process::{Command, Stdio};

/// A place where qemu-riscv64 does not do what the spec or Linux says.
struct Known {
    case: &'static str,
    /// lines of stdout starting with this are not compared
    line_prefix: &'static str,
    reason: &'static str,
}

/// Where qemu-riscv64 7.2 disagrees with the spec on what the programs print. Add
/// entries here, with the reason, when a new check finds a qemu bug.
const KNOWN_QEMU_DIFFERENCES: &[Known] = &[
    // jit_emit: code written through a second mapping of the same memory (a shared file
    // mapped writable and executable, as JITs keep W^X), or through /proc/self/mem, then
    // made visible with fence.i. The ISA's FENCE.I makes every store to instruction memory
    // before it visible to fetches after it, whatever the virtual address stored through;
    // qemu-riscv64 7.2 detects code changes by write-protecting the virtual pages it
    // translated, misses stores to the other mapping (or by the kernel) and keeps running
    // the first version of the code.
    Known {
        case: "jit_emit",
        line_prefix: "written through a second mapping, adds 6",
        reason: "fence.i after a store through another mapping: qemu runs stale code",
    },
    Known {
        case: "jit_emit",
        line_prefix: "written through a second mapping, adds 7",
        reason: "fence.i after a store through another mapping: qemu runs stale code",
    },
    Known {
        case: "jit_emit_procmem",
        line_prefix: "through /proc/self/mem, version 2",
        reason: "fence.i after a write through /proc/self/mem: qemu runs stale code",
    },
    Known {
        case: "jit_emit_procmem",
        line_prefix: "through /proc/self/mem, version 3",
        reason: "fence.i after a write through /proc/self/mem: qemu runs stale code",
    },
    Known {
        case: "sig_loads",
        line_prefix: "PROT_EXEC",
        reason: "riscv64 Linux maps PROT_EXEC alone execute-only (PAGE_EXEC has no _PAGE_READ) \
                 and a RISC-V load from an X-only page faults (MXR off); qemu 7.2 lets the guest \
                 read it",
    },
    Known {
        case: "isa_zb",
        line_prefix: "ctzw      8000000000000000",
        reason: "Zbb 1.0: ctzw counts trailing zeros of the low word and returns 32 when that \
                 word is zero; qemu 7.2 returns 63 for 0x8000000000000000 (it counts in the \
                 64-bit value)",
    },
    // sbx_mem: xlate gives the guest the address space of an Sv39 riscv64 machine (TASK_SIZE
    // 2^38), where Linux refuses mappings at or across 2^38 (ENOMEM from mmap, EINVAL from
    // munmap and mremap) and places hinted mappings below it. qemu-riscv64 lets the guest
    // map anywhere in qemu's own host address space (an unguarded version of the probe
    // crashed qemu itself), and even accepts MAP_FIXED_NOREPLACE at a kernel address.
    Known {
        case: "sbx_mem",
        line_prefix: "MAP_FIXED host",
        reason: "Sv39: addresses above 2^38 are not user addresses (qemu maps host memory)",
    },
    Known {
        case: "sbx_mem",
        line_prefix: "MAP_FIXED at the end",
        reason: "Sv39: 2^38 is the end of the user address space",
    },
    Known {
        case: "sbx_mem",
        line_prefix: "MAP_FIXED across",
        reason: "Sv39: 2^38 is the end of the user address space",
    },
    Known {
        case: "sbx_mem",
        line_prefix: "MAP_FIXED_NOREPLACE kernel",
        reason: "a kernel address is never a user mapping (qemu says ok)",
    },
    Known {
        case: "sbx_mem",
        line_prefix: "mmap hint at a kernel",
        reason: "Sv39: a hint outside the user space is ignored",
    },
    Known {
        case: "sbx_mem",
        line_prefix: "munmap across",
        reason: "Sv39: munmap past TASK_SIZE is EINVAL",
    },
    Known {
        case: "sbx_mem",
        line_prefix: "mremap to a host",
        reason: "Sv39: mremap past TASK_SIZE is EINVAL",
    },
    Known {
        case: "sig_mask",
        line_prefix: "raise: count=1 mask in handler:",
        reason: "Linux blocks the handler's sa_mask while it runs (so SIGUSR2 is blocked in \
                 the SIGUSR1 handler, as the same program shows natively on x86-64); qemu 7.2 \
                 does not report it in the mask the handler reads",
    },
];

/// Cases qemu-riscv64 cannot run at all, with the reason: they are checked against their
/// expected files (written by hand, following Linux) by guest_programs only.
const QEMU_CANNOT_RUN: &[(&str, &str)] = &[
    (
        "proc_exec",
        "qemu-user hands an execve of a riscv64 program to the host kernel, which needs \
         binfmt_misc set up for qemu; xlate runs it under itself",
    ),
    (
        "proc_info",
        "qemu-riscv64 7.2 shows the host's /proc/cpuinfo and has no riscv_hwprobe (ENOSYS); \
         Linux on riscv64 shows the harts and answers hwprobe",
    ),
    (
        "proc_heap",
        "qemu-riscv64 7.2 names no [heap] in /proc/self/maps and shows the bss pages and the \
         break area as one mapping; Linux (fs/proc/task_mmu.c) names the brk vma [heap]",
    ),
    (
        "proc_pipeline",
        "each stage execve's the riscv64 program itself (see proc_exec)",
    ),
];

fn qemu_available() -> bool {
    let found = Command::new("qemu-riscv64")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        assert!(
            !common::env_flag("XLATE_REQUIRE_QEMU"),
            "qemu-riscv64 is not installed and XLATE_REQUIRE_QEMU=1"
        );
        eprintln!("SKIPPED: qemu-riscv64 is not installed (apt-get install qemu-user)");
    }
    found
}

/// stdout without the lines where qemu is known to be wrong for this case.
fn comparable(case: &str, stdout: &[u8]) -> Vec<u8> {
    let known: Vec<&Known> = KNOWN_QEMU_DIFFERENCES
        .iter()
        .filter(|k| k.case == case)
        .collect();
    if known.is_empty() {
        return stdout.to_vec();
    }
    stdout
        .split_inclusive(|&b| b == b'\n')
        .filter(|line| {
            !known
                .iter()
                .any(|k| line.starts_with(k.line_prefix.as_bytes()))
        })
        .flatten()
        .copied()
        .collect()
}

fn load(name: &str) -> Option<Case> {
    if let Some((_, why)) = QEMU_CANNOT_RUN.iter().find(|(c, _)| *c == name) {
        eprintln!("NOT COMPARED {name}: {why}");
        return None;
    }
    let case = Case::load(name);
    if !qemu_available() || (case.dynamic && !common::require_sysroot(name)) {
        return None;
    }
    Some(case)
}

fn describe(out: &Output) -> String {
    format!("{} / stderr: {}", out.status, out.stderr_text().trim_end())
}

/// The committed expectations are what qemu does (apart from the known differences).
fn qemu_matches_expected(name: &str) {
    let Some(case) = load(name) else { return };
    let q = case.run_qemu();
    assert_eq!(
        q.status.shell_status(),
        Some(case.expected_status),
        "{name}: qemu-riscv64 ended with {}, expected/{name}.status says {}",
        describe(&q),
        case.expected_status
    );
    let (e, a) = (
        comparable(name, &case.expected_stdout),
        comparable(name, &q.stdout),
    );
    assert!(
        e == a,
        "{name}: qemu-riscv64 stdout differs from expected/{name}.stdout:\n{}",
        common::diff(&e, &a, 12)
    );
}

/// xlate and qemu agree, for every engine.
fn xlate_matches_qemu(name: &str) {
    let Some(case) = load(name) else { return };
    let q = case.run_qemu();
    let q_status = q.status.shell_status().expect("qemu-riscv64 timed out");
    let mut failures = Vec::new();
    for engine in common::engines() {
        let x = case.run_xlate(&engine);
        common::assert_no_panic(name, &x);
        if !x.status.matches_guest(q_status) {
            failures.push(format!(
                "[engine {engine}] {name}: qemu ended with {}, xlate with {}",
                describe(&q),
                describe(&x)
            ));
        }
        let (qs, xs) = (comparable(name, &q.stdout), comparable(name, &x.stdout));
        if qs != xs {
            failures.push(format!(
                "[engine {engine}] {name}: stdout differs (expected = qemu, actual = xlate):\n{}",
                common::diff(&qs, &xs, 12)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

macro_rules! qemu_diff_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn qemu_matches_expected() {
                    super::qemu_matches_expected(stringify!($name));
                }
                #[test]
                fn xlate_matches_qemu() {
                    super::xlate_matches_qemu(stringify!($name));
                }
            }
        )*
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

common::with_guest_cases!(qemu_diff_tests);

#[test]
fn every_case_is_listed() {
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, Case::all_names());
    for k in KNOWN_QEMU_DIFFERENCES {
        assert!(
            LISTED.contains(&k.case),
            "KNOWN_QEMU_DIFFERENCES: unknown case {}",
            k.case
        );
        assert!(!k.reason.is_empty() && !k.line_prefix.is_empty());
    }
}
