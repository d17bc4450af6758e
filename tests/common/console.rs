//! An interactive `xlate boot` session for the system-mode tests (tests/boot.rs,
//! tests/virtio.rs): the console on pipes, waits for text with a deadline, typed commands,
//! and where Debian's OpenSBI and S-mode U-Boot are.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
pub const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
/// Each step of a session must finish within this (2 shared cores in CI).
pub const STEP: Duration = Duration::from_secs(120);

pub fn require_firmware(what: &str) -> bool {
    if Path::new(FW_JUMP).exists() && Path::new(UBOOT).exists() {
        return true;
    }
    assert!(
        !super::env_flag("XLATE_REQUIRE_FIRMWARE"),
        "{what}: {FW_JUMP} or {UBOOT} is missing and XLATE_REQUIRE_FIRMWARE=1"
    );
    eprintln!("SKIPPED {what}: install the Debian packages opensbi and u-boot-qemu");
    false
}

/// An interactive `xlate boot` with its console on pipes.
pub struct Session {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    seen: usize,
}

impl Session {
    pub fn start(args: &[&str]) -> Session {
        let mut child = Command::new(super::xlate())
            .arg("boot")
            .args(args)
            // `--kernel` is given on the command line (CI sets this variable).
            .env_remove("XLATE_KERNEL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn xlate boot");
        let mut stdout = child.stdout.take().expect("stdout");
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        let stdin = child.stdin.take();
        Session {
            child,
            stdin,
            out,
            seen: 0,
        }
    }

    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().expect("lock")).into_owned()
    }

    /// Waits until `needle` appears after what earlier waits consumed; returns the text
    /// from there up to and including it.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            {
                let out = self.out.lock().expect("lock");
                let hay = &out[self.seen..];
                if let Some(i) = hay
                    .windows(needle.len())
                    .position(|w| w == needle.as_bytes())
                {
                    let text = String::from_utf8_lossy(&hay[..i + needle.len()]).into_owned();
                    self.seen += i + needle.len();
                    return text;
                }
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "timed out waiting for {needle:?}; console so far:\n{}",
                    self.output()
                );
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                // Let the reader thread catch up once before giving up.
                std::thread::sleep(Duration::from_millis(100));
                let out = self.output();
                if out[self.seen.min(out.len())..].contains(needle) {
                    continue;
                }
                panic!("xlate exited ({st}) before {needle:?}; console:\n{out}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn send(&mut self, s: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(s.as_bytes())
            .expect("write to the guest console");
        stdin.flush().expect("flush");
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Types a command and returns what U-Boot answered up to its next prompt.
    pub fn command(&mut self, cmd: &str) -> String {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .expect("write to the guest console");
        stdin.flush().expect("flush");
        self.expect("=> ")
    }

    /// Waits for xlate to exit; returns its exit code.
    pub fn wait(mut self) -> (i32, String) {
        let deadline = Instant::now() + STEP;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return (st.code().unwrap_or(-1), self.output());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("xlate did not exit; console:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
