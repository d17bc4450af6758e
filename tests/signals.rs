//! Asynchronous signals sent to xlate from outside, as a shell or a terminal would: a guest
//! spinning in a loop without syscalls (translated code under the JIT) is interrupted at the
//! next block boundary. SIGINT with the default action ends xlate by SIGINT (the shell sees
//! 130); SIGTERM with a guest handler runs the handler (which prints and exits with 3).

use crate::common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `sig_die MODE` under `engine`, waits for its first line, sends `sig`, and returns
/// (stdout, exit code, terminating signal).
fn spin_and_signal(engine: &str, mode: &str, sig: i32) -> (String, Option<i32>, Option<i32>) {
    let mut child = Command::new(common::xlate())
        .arg("run")
        .args(common::engine_args(engine))
        .arg(common::bin_dir().join("sig_die"))
        .arg(mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start xlate");
    let mut out = child.stdout.take().expect("piped");
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\n") {
        match out.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    // Let it spin for a while so that the loop is hot (translated under the JIT).
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sends a signal to the child we started.
    unsafe { libc::kill(child.id() as i32, sig) };
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("[{engine}] {mode}: xlate did not react to signal {sig}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut rest = Vec::new();
    let _ = out.read_to_end(&mut rest);
    got.extend(rest);
    (
        String::from_utf8_lossy(&got).into_owned(),
        status.code(),
        status.signal(),
    )
}

#[test]
fn sigint_default_action_ends_a_spinning_guest() {
    for engine in common::engines() {
        let (out, code, sig) = spin_and_signal(&engine, "spin", libc::SIGINT);
        assert_eq!(out, "dying by spin\n", "[{engine}]");
        assert!(
            sig == Some(libc::SIGINT) || code == Some(130),
            "[{engine}] expected death by SIGINT, got code {code:?} signal {sig:?}"
        );
    }
}

#[test]
fn sigterm_runs_the_guest_handler_in_a_spinning_guest() {
    for engine in common::engines() {
        let (out, code, sig) = spin_and_signal(&engine, "spin_handler", libc::SIGTERM);
        assert_eq!(out, "dying by spin_handler\ncaught SIGTERM\n", "[{engine}]");
        assert_eq!((code, sig), (Some(3), None), "[{engine}]");
    }
}
