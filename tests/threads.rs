//! Guest threads and the limits of `xlate run`: `--max-instructions`, `--timeout` and a Ctrl-C
//! (SIGINT to xlate) stop a guest whose threads all spin in translated code, under every
//! engine. (The thread programs themselves are guest cases: thr_* in testsuites/linux.)

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, Status};

fn spinning_threads() -> Vec<String> {
    // bench_threads N SCALE: N threads with SCALE x 4M iterations each (minutes of work).
    vec![
        common::bin_dir()
            .join("bench_threads")
            .display()
            .to_string(),
        "2".into(),
        "100000".into(),
    ]
}

#[test]
fn max_instructions_stops_every_thread() {
    for engine in common::engines() {
        let out = Run::xlate()
            .arg("run")
            .args(common::engine_args(&engine))
            .args(["--max-instructions", "30000000"])
            .args(spinning_threads())
            .timeout(Duration::from_secs(60))
            .run();
        assert_eq!(out.status, Status::Code(123), "[{engine}] {out:?}");
        assert_eq!(
            out.stderr_text(),
            "xlate: guest stopped: instruction limit of 30000000 reached\n",
            "[{engine}]"
        );
        assert!(out.stdout.is_empty(), "[{engine}]");
    }
}

#[test]
fn timeout_stops_every_thread() {
    for engine in common::engines() {
        let t0 = Instant::now();
        let out = Run::xlate()
            .arg("run")
            .args(common::engine_args(&engine))
            .args(["--timeout", "0.5"])
            .args(spinning_threads())
            .timeout(Duration::from_secs(60))
            .run();
        assert_eq!(out.status, Status::Code(124), "[{engine}] {out:?}");
        assert_eq!(
            out.stderr_text(),
            "xlate: guest stopped: time limit of 0.5 s reached\n",
            "[{engine}]"
        );
        assert!(t0.elapsed() < Duration::from_secs(20), "[{engine}]");
    }
}

#[test]
fn ctrl_c_ends_a_multithreaded_guest_by_sigint() {
    for engine in common::engines() {
        let mut child = Command::new(common::xlate())
            .arg("run")
            .args(common::engine_args(&engine))
            .args(spinning_threads())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start xlate");
        std::thread::sleep(Duration::from_millis(500));
        // SAFETY: signals our own child process.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break Some(s);
            }
            if t0.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let status = status.unwrap_or_else(|| panic!("[{engine}] SIGINT did not stop the guest"));
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGINT), "[{engine}] {status:?}");
    }
}

/// Regions translated by all the threads of a `--stats` run (the "N by all threads" field).
fn shared_translations(threads: &str) -> u64 {
    let bin = common::bin_dir().join("bench_threads");
    let out = Run::xlate()
        .args(["run", "--stats", "--jit-threshold", "1"])
        .arg(bin.display().to_string())
        .args([threads, "1"])
        .run();
    assert_eq!(out.status, Status::Code(0), "{out:?}");
    let err = out.stderr_text();
    let field = err
        .split(", ")
        .find(|f| f.ends_with(" by all threads"))
        .unwrap_or_else(|| panic!("no shared count in {err}"));
    field
        .trim_end_matches(" by all threads")
        .parse()
        .unwrap_or_else(|e| panic!("{field}: {e}"))
}

#[test]
fn threads_share_translated_code() {
    // Eight threads running the same code translate it once: with a code cache per thread,
    // each would translate its thread start, the work loop and its exit again (tens of
    // regions each). A few regions of their own (contended futex paths) are allowed.
    let one = shared_translations("1");
    let eight = shared_translations("8");
    assert!(one > 50, "the run translates its code: {one}");
    assert!(
        eight <= one + 24,
        "8 threads translated {eight} regions, 1 thread {one}"
    );
}
