//! Resource limits of `xlate run` (`--max-memory`, `--max-instructions`, `--timeout` and their
//! `XLATE_*` twins): guests that run away are stopped with the limit's own exit status and
//! one line on stderr saying why, under every engine.

use crate::common;

use std::time::{Duration, Instant};

use common::{Output, Run, Status};

fn bin(name: &str) -> std::path::PathBuf {
    common::bin_dir().join(name)
}

fn xlate(engine: &str) -> Run {
    Run::xlate().arg("run").args(common::engine_args(engine))
}

/// The one line xlate prints when a limit stops the guest, and nothing else on stderr.
fn assert_limit_line(out: &Output, line: &str) {
    assert_eq!(out.stderr_text(), format!("xlate: {line}\n"));
}

#[test]
fn max_instructions_stops_a_spinning_guest() {
    for engine in common::engines() {
        let out = xlate(&engine)
            .args(["--max-instructions", "5000000"])
            .arg(bin("sbx_spin"))
            .arg("loop")
            .timeout(Duration::from_secs(30))
            .run();
        assert_eq!(out.status, Status::Code(123), "[{engine}] {out:?}");
        assert_limit_line(&out, "guest stopped: instruction limit of 5000000 reached");
        assert!(out.stdout.is_empty());
    }
}

/// "Within one block of N": the count printed by --stats is N plus at most a block.
#[test]
fn max_instructions_is_precise_to_a_block() {
    for engine in common::engines() {
        let out = xlate(&engine)
            .args(["--stats", "--max-instructions", "1234567"])
            .arg(bin("sbx_spin"))
            .arg("loop")
            .timeout(Duration::from_secs(30))
            .run();
        assert_eq!(out.status, Status::Code(123), "[{engine}] {out:?}");
        let err = out.stderr_text();
        let n: u64 = err
            .split("engine ")
            .nth(1)
            .and_then(|s| s.split(", ").nth(1))
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("[{engine}] no instruction count in {err}"));
        assert!(
            (1_234_567..1_234_567 + 64).contains(&n),
            "[{engine}] stopped after {n} instructions"
        );
    }
}

/// A program that ends before the limit is not affected by it.
#[test]
fn a_limit_not_reached_changes_nothing() {
    for engine in common::engines() {
        let out = xlate(&engine)
            .args(["--max-instructions", "100000000", "--timeout", "60"])
            .args(["--max-memory", "256M"])
            .arg(bin("sbx_spin"))
            .run();
        assert_eq!(out.status, Status::Code(0), "[{engine}] {out:?}");
        assert_eq!(out.stdout, b"spun\n");
        assert_eq!(out.stderr_text(), "");
    }
}

#[test]
fn timeout_stops_a_guest_spinning_in_translated_code() {
    for engine in common::engines() {
        let start = Instant::now();
        let out = xlate(&engine)
            .args(["--timeout", "0.5"])
            .arg(bin("sbx_spin"))
            .arg("loop")
            .timeout(Duration::from_secs(30))
            .run();
        let took = start.elapsed();
        assert_eq!(out.status, Status::Code(124), "[{engine}] {out:?}");
        assert_limit_line(&out, "guest stopped: time limit of 0.5 s reached");
        // Stopped by the engines' exit request, well before the watchdog's own exit.
        assert!(took < Duration::from_secs(2), "[{engine}] took {took:?}");
    }
}

#[test]
fn timeout_stops_a_guest_blocked_in_the_kernel() {
    let start = Instant::now();
    let out = xlate("interp")
        .args(["--timeout", "0.3"])
        .arg(bin("sbx_spin"))
        .args(["loop", "sleep"])
        .timeout(Duration::from_secs(30))
        .run();
    let took = start.elapsed();
    assert_eq!(out.status, Status::Code(124), "{out:?}");
    assert_limit_line(&out, "guest stopped: time limit of 0.3 s reached");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn environment_twins_set_the_limits() {
    let out = Run::xlate()
        .arg("run")
        .env("XLATE_MAX_INSTRUCTIONS", "100000")
        .arg(bin("sbx_spin"))
        .arg("loop")
        .timeout(Duration::from_secs(30))
        .run();
    assert_eq!(out.status, Status::Code(123), "{out:?}");
    let out = Run::xlate()
        .arg("run")
        .env("XLATE_TIMEOUT", "0.2")
        .arg(bin("sbx_spin"))
        .arg("loop")
        .timeout(Duration::from_secs(30))
        .run();
    assert_eq!(out.status, Status::Code(124), "{out:?}");
    let out = Run::xlate()
        .arg("run")
        .env("XLATE_MAX_MEMORY", "24M")
        .arg(bin("sbx_alloc"))
        .run();
    assert_eq!(out.status, Status::Code(0), "{out:?}");
    assert!(out.stdout.starts_with(b"allocated 1"), "{out:?}");
}

/// Under --max-memory, malloc runs dry below the limit, and the big mmap and sbrk fail with
/// ENOMEM; the program itself goes on and exits normally.
#[test]
fn max_memory_makes_allocation_fail_with_enomem() {
    for engine in common::engines() {
        let out = xlate(&engine)
            .args(["--max-memory", "32M"])
            .arg(bin("sbx_alloc"))
            .run();
        assert_eq!(out.status, Status::Code(0), "[{engine}] {out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let mib: u32 = first
            .strip_prefix("allocated ")
            .and_then(|s| s.strip_suffix(" MiB"))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("[{engine}] unexpected first line {first:?}"));
        // 32 MiB less the 8 MiB stack, the program image and malloc's overhead.
        assert!((16..32).contains(&mib), "[{engine}] allocated {mib} MiB");
        assert_eq!(lines.next(), Some("mmap 512 MiB: ENOMEM"));
        assert_eq!(lines.next(), Some("sbrk 256 MiB: ENOMEM"));
        assert_eq!(out.stderr_text(), "");
    }
}

#[test]
fn limit_values_are_checked() {
    for (flag, value) in [
        ("--max-memory", "12Q"),
        ("--max-memory", "lots"),
        ("--max-instructions", "0"),
        ("--max-instructions", "-5"),
        ("--timeout", "0"),
        ("--timeout", "soon"),
        ("--timeout", "inf"),
    ] {
        let out = Run::xlate()
            .args(["run", flag, value])
            .arg(bin("sbx_spin"))
            .run();
        assert_eq!(out.status, Status::Code(2), "{flag} {value}: {out:?}");
        common::assert_no_panic(flag, &out);
    }
    // A memory limit too small for the program's own image and stack: it cannot be loaded.
    let out = Run::xlate()
        .args(["run", "--max-memory", "1M"])
        .arg(bin("sbx_spin"))
        .run();
    assert_ne!(out.status, Status::Code(0), "{out:?}");
    assert_eq!(out.stderr_text().lines().count(), 1, "{out:?}");
    common::assert_no_panic("--max-memory 1M", &out);
}
